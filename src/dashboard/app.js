/*
 * The dashboard: plain JavaScript modules, no build step. Every second it
 * polls /stats/summary (the totals: a small answer however many topics there
 * are) and /stats/history (the chart's new seconds); the per-topic table comes
 * from the full /stats only when the number of topics changes, or every 15 s.
 * The newest events are read newest-first (/events?order=desc), so a topic's
 * latest events show however old they are, then followed on /subscribe.
 *
 * Rules it keeps:
 * - Every request goes through api() (api.js), the one place an access key is added.
 * - A refused key (401/403) stops every poll and stream and asks for a key
 *   (key-prompt.js) instead of retrying for ever.
 * - Data from events is only ever put into the page as text (textContent),
 *   never as HTML, so a payload like `<img src=x onerror=…>` stays text.
 * - No inline script or style and no eval: the page runs under a strict CSP.
 */
import { api, onKeyRefused, refusedKey } from './api.js';
import { followEvents } from './event-stream.js';
import { askForKey } from './key-prompt.js';
import { RateChart } from './rate-chart.js';

const pollEveryMs = 1000;
const topicsEveryMs = 15_000;
const recentMax = 50;
/** Newest events shown when following all topics, so the list is not empty at first. */
const backlogAll = 20;

const $ = (id) => document.getElementById(id);
const number = new Intl.NumberFormat('en-US');

/** An element with text content (never HTML). */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

const health = { stats: false, stream: false };
let keyNeeded = false;
function showStatus() {
  const state = keyNeeded
    ? 'key'
    : health.stats && health.stream
      ? 'live'
      : health.stats
        ? 'partial'
        : 'offline';
  const status = $('status');
  status.dataset.state = state;
  status.textContent = {
    key: 'a read key is needed',
    live: 'live',
    partial: 'counters live, event stream reconnecting…',
    offline: 'reconnecting…',
  }[state];
}

onKeyRefused((refusal) => {
  if (keyNeeded) return;
  keyNeeded = true;
  following?.abort();
  following = null;
  showStatus();
  askForKey(refusal, start);
});

// ---- counters, topics and rates ---------------------------------------------

const chart = new RateChart($('chart'), 3600);
/** Each start() begins a new poll loop; a loop from before stops at its next turn. */
let generation = 0;
let topicsShown = -1;
let topicsAt = 0;

function start() {
  keyNeeded = false;
  generation += 1;
  topicsShown = -1;
  void poll(generation);
  void startFollowing(following?.topic ?? $('topic-filter').value.trim());
  showStatus();
}

async function poll(loop) {
  try {
    const res = await api('/stats/summary');
    if (refusedKey(res)) return;
    if (!res.ok) throw new Error(`/stats/summary answered ${res.status}`);
    const summary = await res.json();
    renderCounters(summary);
    if (summary.topic_count !== topicsShown || Date.now() - topicsAt >= topicsEveryMs) await pollTopics();
    await pollRates();
    health.stats = true;
  } catch {
    health.stats = false;
  }
  if (keyNeeded || loop !== generation) return;
  showStatus();
  setTimeout(() => poll(loop), pollEveryMs);
}

async function pollTopics() {
  const res = await api('/stats');
  if (!res.ok) throw new Error(`/stats answered ${res.status}`);
  renderTopics(await res.json());
  topicsAt = Date.now();
}

async function pollRates() {
  const query = chart.last === undefined ? '' : `?after=${chart.last}`;
  const res = await api(`/stats/history${query}`);
  if (!res.ok) throw new Error(`/stats/history answered ${res.status}`);
  chart.append(await res.json());
}

function renderCounters(summary) {
  for (const dd of document.querySelectorAll('[data-counter]')) {
    const value = summary[dd.dataset.counter];
    dd.textContent = typeof value === 'number' ? number.format(value) : '–';
  }
  $('c-topics').textContent = number.format(summary.topic_count);
  $('c-uptime').textContent = duration(summary.uptime_seconds);
}

function duration(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const h = Math.floor(s / 3600);
  return h < 48 ? `${h} h ${Math.floor((s % 3600) / 60)} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

function renderTopics(stats) {
  const rows = Object.entries(stats.per_topic ?? {}).map(([topic, c]) => {
    const tr = el('tr');
    const name = el('th', 'topic', topic);
    name.scope = 'row';
    tr.append(name);
    for (const n of [c.received, c.unique_processed, c.duplicate_dropped, c.conflicts]) {
      tr.append(el('td', 'num', number.format(n)));
    }
    return tr;
  });
  topicsShown = rows.length;
  $('topics').tBodies[0].replaceChildren(...rows);
  $('topics-empty').hidden = rows.length > 0;
  $('topic-names').replaceChildren(
    ...stats.topics.map((topic) => {
      const option = el('option');
      option.value = topic;
      return option;
    }),
  );
}

// ---- newest events: /events?order=desc, then /subscribe ---------------------

/** The current follow: an AbortController carrying its topic. */
let following = null;
let pending = [];

async function startFollowing(topic) {
  following?.abort();
  const controller = Object.assign(new AbortController(), { topic });
  following = controller;
  pending = [];
  $('recent').replaceChildren();
  $('recent-empty').hidden = false;
  // The topic's newest events, however far back they lie; the stream continues after them.
  let after;
  while (after === undefined) {
    try {
      const query = new URLSearchParams({ order: 'desc', limit: String(topic ? recentMax : backlogAll) });
      if (topic) query.set('topic', topic);
      const res = await api(`/events?${query}`, { signal: controller.signal });
      if (refusedKey(res)) return;
      if (!res.ok) throw new Error(`/events answered ${res.status}`);
      const newest = await res.json();
      after = newest.length > 0 ? newest[0].seq : 0;
      for (const event of newest.reverse()) queue(event);
    } catch {
      if (controller.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    if (controller.signal.aborted) return;
  }
  void followEvents({
    topic,
    after,
    signal: controller.signal,
    onEvent(data) {
      try {
        queue(JSON.parse(data));
      } catch {}
    },
    onState(connected) {
      health.stream = connected;
      showStatus();
    },
  });
}

function queue(event) {
  pending.push(event);
  if (pending.length > recentMax) pending = pending.slice(-recentMax);
  if (pending.length === 1) requestAnimationFrame(flush);
}

/** Renders what arrived since the last frame, newest first, keeping the list short. */
function flush() {
  const list = $('recent');
  list.prepend(...pending.map(renderEvent).reverse());
  pending = [];
  while (list.children.length > recentMax) list.lastChild.remove();
  $('recent-empty').hidden = list.children.length > 0;
}

function renderEvent(event) {
  const li = el('li', 'event');
  li.dataset.seq = String(event.seq);
  const meta = el('div', 'meta');
  meta.append(
    el('span', 'seq', `#${event.seq}`),
    el('span', 'topic', event.topic),
    el('span', 'event-id', event.event_id),
    el('span', 'source', event.source),
    el('time', 'timestamp', event.timestamp),
  );
  const payload = JSON.stringify(event.payload);
  li.append(meta, el('pre', 'payload', payload.length > 600 ? `${payload.slice(0, 600)}…` : payload));
  return li;
}

$('filter').addEventListener('submit', (e) => {
  e.preventDefault();
  void startFollowing($('topic-filter').value.trim());
});

start();
