/**
 * A lean HTTP/1.1 keep-alive client for the benchmark's load generator. The
 * load generator shares the machine's cores with the server it measures, so
 * its own cost per request decides how much of the machine is left to
 * measure: undici spends ~65 µs of CPU per small request here, this ~15 µs
 * (measured; see bench/RESULTS.md). It does only what the benchmark needs:
 * one request at a time per connection, bodies sent whole, responses with a
 * Content-Length (what the aggregator sends). `aggregator publish` keeps
 * using undici, which handles everything HTTP can throw at a client.
 */
import { connect, type Socket } from 'node:net';

interface LeanResponse {
  readonly statusCode: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

interface Pending {
  readonly resolve: (res: LeanResponse) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const headerEnd = Buffer.from('\r\n\r\n');

class Connection {
  #socket: Socket | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: Pending | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  send(head: string, body: Buffer, timeoutMs: number): Promise<LeanResponse> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })),
        timeoutMs,
      );
      this.#pending = { resolve, reject, timer };
      const socket = this.#socket ?? this.#open();
      socket.cork();
      socket.write(head);
      socket.write(body);
      socket.uncork();
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.#socket = socket;
    this.#buffer = Buffer.alloc(0);
    // Events of a socket this connection already replaced must not touch the new one.
    socket.on('data', (chunk: Buffer) => socket === this.#socket && this.#data(chunk));
    socket.on('error', (err) => socket === this.#socket && this.#fail(err));
    socket.on('close', () => {
      if (socket === this.#socket)
        this.#fail(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
    });
    return socket;
  }

  #data(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const end = this.#buffer.indexOf(headerEnd);
    if (end === -1) return;
    const head = this.#buffer.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? Number.NaN);
    if (Number.isNaN(length)) {
      this.#fail(new Error('response without Content-Length'));
      return;
    }
    if (this.#buffer.length < end + 4 + length) return;
    const body = this.#buffer.toString('utf8', end + 4, end + 4 + length);
    this.#buffer = this.#buffer.subarray(end + 4 + length);
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    if (/\r\nconnection:\s*close/i.test(head)) this.close();
    pending.resolve({
      statusCode: Number(head.slice(9, 12)),
      retryAfter: /\r\nretry-after:\s*([^\r]*)/i.exec(head)?.[1],
      body,
    });
  }

  #fail(err: Error): void {
    this.close();
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    pending.reject(err);
  }
}

/** `connections` keep-alive connections; each caller uses one at a time (see send()). */
export class LeanHttpPool {
  readonly #idle: Connection[];
  readonly #all: Connection[];
  readonly #host: string;

  constructor(origin: string, connections: number) {
    const url = new URL(origin);
    this.#host = url.host;
    this.#all = Array.from(
      { length: connections },
      () => new Connection(url.hostname, Number(url.port || 80)),
    );
    this.#idle = [...this.#all];
  }

  async post(
    path: string,
    body: string | Buffer,
    headers: Readonly<Record<string, string>>,
    timeoutMs: number,
  ): Promise<LeanResponse> {
    const connection = this.#idle.pop();
    if (connection === undefined) throw new Error('more concurrent requests than connections');
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    let head = `POST ${path} HTTP/1.1\r\nhost: ${this.#host}\r\ncontent-length: ${bytes.length}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    try {
      return await connection.send(`${head}\r\n`, bytes, timeoutMs);
    } finally {
      this.#idle.push(connection);
    }
  }

  close(): void {
    for (const c of this.#all) c.close();
  }
}
