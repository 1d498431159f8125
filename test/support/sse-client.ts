/**
 * A minimal Server-Sent Events client for tests, on node:http so a test can
 * pause the socket (a slow subscriber) and see heartbeat comments, which
 * EventSource hides.
 */
import { once } from 'node:events';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';

export interface SseEvent {
  readonly id: string | undefined;
  readonly data: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** Resolves when the server ends the stream (or the connection drops). */
  readonly ended: Promise<void>;
  readonly #req: ClientRequest;
  readonly #res: IncomingMessage;
  #buffer = '';
  #waiters: (() => void)[] = [];

  private constructor(req: ClientRequest, res: IncomingMessage) {
    this.#req = req;
    this.#res = res;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.#feed(chunk));
    this.ended = new Promise((resolve) => {
      res.once('end', resolve);
      res.once('close', resolve);
      res.once('error', () => resolve());
    });
    void this.ended.then(() => this.#notify());
  }

  /** Opens a stream; rejects with the status and body when the server refuses it. */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    if (res.statusCode !== 200) {
      let body = '';
      for await (const chunk of res) body += chunk;
      throw Object.assign(new Error(`subscribe answered ${res.statusCode}: ${body}`), {
        status: res.statusCode,
        headers: res.headers,
        body,
      });
    }
    return new SseClient(req, res);
  }

  get headers(): IncomingMessage['headers'] {
    return this.#res.headers;
  }

  /** Resolves once at least `n` events arrived; rejects after `timeoutMs`. */
  async waitFor(n: number, timeoutMs = 10_000): Promise<SseEvent[]> {
    await this.waitUntil(
      () => this.events.length >= n,
      () => `${n} events (have ${this.events.length})`,
      timeoutMs,
    );
    return this.events;
  }

  async waitUntil<T>(check: () => T, what: () => string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Stops reading the socket: the server's writes back up (a slow subscriber). */
  pause(): void {
    this.#res.pause();
  }

  resume(): void {
    this.#res.resume();
  }

  close(): void {
    this.#req.destroy();
  }

  #feed(chunk: string): void {
    this.#buffer += chunk;
    let end = this.#buffer.indexOf('\n\n');
    while (end >= 0) {
      this.#parse(this.#buffer.slice(0, end));
      this.#buffer = this.#buffer.slice(end + 2);
      end = this.#buffer.indexOf('\n\n');
    }
    this.#notify();
  }

  #parse(frame: string): void {
    let id: string | undefined;
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) this.events.push({ id, data: data.join('\n') });
  }

  #notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
