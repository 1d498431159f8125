/*
 * The dashboard: plain JavaScript modules, no build step. It polls /stats for
 * the counters, rates and topics, and follows /subscribe for the newest events.
 *
 * Rules it keeps:
 * - Every request goes through api() (api.js), the one place an access key is added.
 * - Data from events is only ever put into the page as text (textContent),
 *   never as HTML, so a payload like `<img src=x onerror=…>` stays text.
 * - No inline script or style and no eval: the page runs under a strict CSP.
 */
import { api } from './api.js';
import { followEvents } from './event-stream.js';
import { RateChart } from './rate-chart.js';

const statsEveryMs = 1000;
const recentMax = 50;
/** Events replayed when following all topics, so the list is not empty at first. */
const backlogAll = 20;
/** With a topic filter, how far back (in seqs) to look for that topic's newest events. */
const backlogTopic = 5000;

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
function showStatus() {
  const state = health.stats && health.stream ? 'live' : health.stats ? 'partial' : 'offline';
  const status = $('status');
  status.dataset.state = state;
  status.textContent = {
    live: 'live',
    partial: 'counters live, event stream reconnecting…',
    offline: 'reconnecting…',
  }[state];
}

// ---- counters, topics and rates from /stats ---------------------------------

const chart = new RateChart($('chart'), 600);

async function pollStats() {
  try {
    const res = await api('/stats');
    if (!res.ok) throw new Error(`/stats answered ${res.status}`);
    const stats = await res.json();
    renderCounters(stats);
    renderTopics(stats);
    chart.record(stats);
    health.stats = true;
    latestSeq = Math.max(latestSeq, stats.last_seq);
    if (following === null) startFollowing('');
  } catch {
    health.stats = false;
  }
  showStatus();
  setTimeout(pollStats, statsEveryMs);
}

function renderCounters(stats) {
  for (const dd of document.querySelectorAll('[data-counter]')) {
    const value = stats[dd.dataset.counter];
    dd.textContent = typeof value === 'number' ? number.format(value) : '–';
  }
  $('c-topics').textContent = number.format(stats.topics.length);
  $('c-uptime').textContent = duration(stats.uptime_seconds);
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

// ---- newest events from /subscribe ------------------------------------------

let following = null;
/** Highest seq known from /stats or the stream: where a new follow starts its backlog. */
let latestSeq = 0;
let pending = [];

function startFollowing(topic) {
  following?.abort();
  following = new AbortController();
  pending = [];
  $('recent').replaceChildren();
  $('recent-empty').hidden = false;
  void followEvents({
    topic,
    after: Math.max(0, latestSeq - (topic ? backlogTopic : backlogAll)),
    signal: following.signal,
    onEvent: receive,
    onState(connected) {
      health.stream = connected;
      showStatus();
    },
  });
}

function receive(data) {
  try {
    pending.push(JSON.parse(data));
  } catch {
    return;
  }
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
  latestSeq = Math.max(latestSeq, event.seq);
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
  startFollowing($('topic-filter').value.trim());
});

showStatus();
void pollStats();
