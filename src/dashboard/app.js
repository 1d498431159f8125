/*
 * The dashboard's script: plain JavaScript, no build step. It polls /stats for
 * the counters, rates and topics, and follows /subscribe (Server-Sent Events)
 * for the newest events.
 *
 * Rules it keeps:
 * - Every request goes through api(): the one place an access key is added
 *   (taken from `#key=…` in the URL, then remembered in localStorage).
 * - Data from events is only ever put into the page as text (textContent),
 *   never as HTML, so a payload like `<img src=x onerror=…>` stays text.
 * - No inline script or style and no eval: the page runs under a strict CSP.
 */
(() => {
  const statsEveryMs = 1000;
  const windowSeconds = 600;
  const recentMax = 50;
  /** Events replayed when following all topics, so the list is not empty at first. */
  const backlogAll = 20;
  /** With a topic filter, how far back (in seqs) to look for that topic's newest events. */
  const backlogTopic = 5000;

  // ---- access: one place for the key -------------------------------------

  const keyName = 'aggregator.key';
  const accessKey = readKey();

  function readKey() {
    const match = /(?:^#|&)key=([^&]*)/.exec(location.hash);
    if (match) {
      const key = decodeURIComponent(match[1]);
      try {
        if (key) localStorage.setItem(keyName, key);
        else localStorage.removeItem(keyName);
      } catch {}
      // Keep the key out of the address bar, history and screenshots.
      history.replaceState(null, '', location.pathname + location.search);
      return key || null;
    }
    try {
      return localStorage.getItem(keyName);
    } catch {
      return null;
    }
  }

  /** fetch() with the access key, if any. Every request of this page goes through here. */
  function api(path, init = {}) {
    const headers = new Headers(init.headers);
    if (accessKey) headers.set('authorization', `Bearer ${accessKey}`);
    return fetch(path, { ...init, headers, cache: 'no-store' });
  }

  // ---- small DOM helpers --------------------------------------------------

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
    const status = $('status');
    const state = health.stats && health.stream ? 'live' : health.stats ? 'partial' : 'offline';
    status.dataset.state = state;
    status.textContent =
      state === 'live'
        ? 'live'
        : state === 'partial'
          ? 'counters live, event stream reconnecting…'
          : 'reconnecting…';
  }

  // ---- counters, topics and rates from /stats -----------------------------

  const rate = (v) => (v == null ? '–' : number.format(Math.round(v)));
  const clock = (t) => new Date(t * 1000).toLocaleTimeString([], { hour12: false });
  const chart = createChart($('chart'));
  /** @type {{t: number, received: number, duplicates: number} | null} */
  let previous = null;

  async function pollStats() {
    try {
      const res = await api('/stats');
      if (!res.ok) throw new Error(`/stats answered ${res.status}`);
      const stats = await res.json();
      renderCounters(stats);
      renderTopics(stats);
      recordRates(stats);
      health.stats = true;
      latestSeq = stats.last_seq;
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
      tr.append(el('th', 'topic', topic));
      tr.lastChild.scope = 'row';
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

  const series = { t: [], received: [], duplicates: [] };

  function recordRates(stats) {
    const now = Date.now() / 1000;
    const current = { t: now, received: stats.received, duplicates: stats.duplicate_dropped };
    if (previous !== null && now > previous.t) {
      const dt = now - previous.t;
      series.t.push(now);
      series.received.push(Math.max(0, (current.received - previous.received) / dt));
      series.duplicates.push(Math.max(0, (current.duplicates - previous.duplicates) / dt));
      while (series.t.length > 0 && series.t[0] < now - windowSeconds) {
        series.t.shift();
        series.received.shift();
        series.duplicates.shift();
      }
      chart?.setData([series.t, series.received, series.duplicates]);
    }
    previous = current;
  }

  function createChart(container) {
    if (typeof uPlot !== 'function') return null;
    const width = () => Math.max(240, container.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        series: [
          {},
          { label: 'events/s', stroke: '#2563eb', width: 2, value: (_u, v) => rate(v) },
          { label: 'duplicates/s', stroke: '#d97706', width: 2, value: (_u, v) => rate(v) },
        ],
        axes: [
          // Whole seconds at least: the points are one poll (about a second) apart.
          {
            incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
            space: 70,
            values: (_u, ticks) => ticks.map(clock),
          },
          { size: 60 },
        ],
      },
      [[], [], []],
      container,
    );
    new ResizeObserver(() => plot.setSize({ width: width(), height: 220 })).observe(container);
    return plot;
  }

  // ---- newest events from /subscribe --------------------------------------

  let following = null;
  /** Highest seq known from /stats or the stream: where a new follow starts its backlog. */
  let latestSeq = 0;

  function startFollowing(topic) {
    following?.abort();
    following = new AbortController();
    $('recent').replaceChildren();
    $('recent-empty').hidden = false;
    const after = Math.max(0, latestSeq - (topic ? backlogTopic : backlogAll));
    void follow(topic, after, following.signal);
  }

  /**
   * Reads the event stream with fetch() rather than EventSource, which cannot
   * send an Authorization header. Reconnects like EventSource: after `retry:`
   * ms, sending Last-Event-ID so nothing is missed or repeated.
   */
  async function follow(topic, after, signal) {
    let lastId = null;
    let retryMs = 2000;
    while (!signal.aborted) {
      try {
        const query = new URLSearchParams({ after: String(after) });
        if (topic) query.set('topic', topic);
        const headers = lastId === null ? {} : { 'last-event-id': lastId };
        const res = await api(`/subscribe?${query}`, { headers, signal });
        if (!res.ok || !res.body) throw new Error(`/subscribe answered ${res.status}`);
        health.stream = true;
        showStatus();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const frame = parseFrame(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (frame.retry !== undefined) retryMs = frame.retry;
            if (frame.id !== undefined) lastId = frame.id;
            if (frame.data !== undefined) receive(frame.data);
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // Aborted, refused or cut off: reconnect below unless aborted.
      }
      if (signal.aborted) return;
      health.stream = false;
      showStatus();
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }

  /** One SSE frame's fields. @see https://html.spec.whatwg.org/multipage/server-sent-events.html */
  function parseFrame(text) {
    const frame = {};
    const data = [];
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'id') frame.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) frame.retry = Number(value);
    }
    if (data.length > 0) frame.data = data.join('\n');
    return frame;
  }

  let pending = [];
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
    const items = pending.map(renderEvent).reverse();
    pending = [];
    list.prepend(...items);
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
})();
