/**
 * One Server-Sent Events response, written by hand (the format is three
 * line types; a plugin would add more than it saves). It respects socket
 * backpressure: `write` resolves only once the socket has taken the chunk
 * (or closed), so the caller reads its next page from the store only then and
 * the server never buffers more than one page for a slow client.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import type { ServerResponse } from 'node:http';

/** After end(), a client that does not drain its socket is cut off after this long. */
const endGraceMs = 1_000;

interface SseStreamOptions {
  /** Reconnection delay the client should use (`retry:` field). */
  readonly retryMs: number;
}

export class SseStream {
  readonly #res: ServerResponse;
  readonly #onClose: (() => void)[] = [];
  #closed = false;

  constructor(res: ServerResponse, options: SseStreamOptions) {
    this.#res = res;
    res.on('close', () => this.#markClosed());
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      // no-transform: a compressing proxy would hold events back to fill its buffer.
      'cache-control': 'no-cache, no-transform',
      // nginx buffers proxied responses unless told not to.
      'x-accel-buffering': 'no',
    });
    // The first bytes also flush the headers, so the client knows the stream is open.
    res.write(`retry: ${options.retryMs}\n\n`);
  }

  /** True once the client went away or end() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `fn` once when the stream closes, for whatever reason. */
  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  /** Writes `chunk`; resolves once the socket accepted it (after 'drain' if it was full) or closed. */
  write(chunk: string): Promise<void> {
    if (this.#closed || this.#res.write(chunk)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#res.off('drain', done);
        this.#res.off('close', done);
        resolve();
      };
      this.#res.on('drain', done);
      this.#res.on('close', done);
    });
  }

  /**
   * A comment line keeps proxies and load balancers from closing an idle
   * stream. Skipped while the socket is backed up: data is pending anyway.
   */
  heartbeat(): void {
    if (!this.#closed && !this.#res.writableNeedDrain) this.#res.write(': heartbeat\n\n');
  }

  /** Ends the response cleanly; a client that does not read is cut off after a short grace. */
  end(): void {
    if (this.#res.writableEnded || this.#res.destroyed) {
      this.#markClosed();
      return;
    }
    this.#res.end();
    this.#markClosed();
    if (!this.#res.writableFinished) {
      setTimeout(() => this.#res.destroy(), endGraceMs).unref();
    }
  }

  #markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const fn of this.#onClose.splice(0)) fn();
  }
}

/**
 * One event frame: `id:` is the seq (what the client sends back as
 * Last-Event-ID), `data:` the stored event's JSON. The default event type
 * ("message") is used so `EventSource.onmessage` receives it. A line break
 * would end a `data:` field, so multi-line data becomes several `data:` lines
 * (the stored JSON is single-line; this only guards the format).
 */
export function eventFrame(seq: number, data: string): string {
  const body = /[\r\n]/.test(data) ? data.split(/\r\n|\r|\n/).join('\ndata: ') : data;
  return `id: ${seq}\ndata: ${body}\n\n`;
}
