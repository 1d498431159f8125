/*
 * Follows GET /subscribe (Server-Sent Events) with fetch() rather than
 * EventSource, because EventSource cannot send an Authorization header and
 * every request must go through api(). It reconnects the way EventSource
 * does: after the server's `retry:` delay, sending Last-Event-ID, so nothing
 * is missed or repeated across reconnects.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import { api } from './api.js';

/**
 * Streams until `signal` aborts. `onEvent(data)` gets each event's data text;
 * `onState(connected)` tells when the stream is up or down.
 */
export async function followEvents({ topic, after, signal, onEvent, onState }) {
  let lastId = null;
  let retryMs = 2000;
  while (!signal.aborted) {
    try {
      const query = new URLSearchParams({ after: String(after) });
      if (topic) query.set('topic', topic);
      const headers = lastId === null ? {} : { 'last-event-id': lastId };
      const res = await api(`/subscribe?${query}`, { headers, signal });
      // A refused key: the key prompt takes over (api.js told it); retrying cannot help.
      if (res.status === 401 || res.status === 403) return;
      if (!res.ok || !res.body) throw new Error(`/subscribe answered ${res.status}`);
      onState(true);
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
          if (frame.data !== undefined) onEvent(frame.data);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted, refused or cut off: reconnect below unless aborted.
    }
    if (signal.aborted) return;
    onState(false);
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

/** One frame's fields: `data` lines joined, `id`, `retry`; comments ignored. */
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
