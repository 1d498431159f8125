/**
 * Tells this process when ANOTHER replica committed events: one dedicated
 * connection LISTENs on the commit channel (a pooled connection cannot, it
 * would be handed to other queries). Every committing store sends
 * `pg_notify(channel, '<lastSeq> <token>')` inside its transaction, so the
 * notification arrives only if, and after, the commit is visible; the token
 * lets a process skip its own commits (the writer already announces those).
 *
 * NOTIFY is not durable: while the connection is down notifications are lost.
 * So after every reconnect the listeners are called once with the current
 * highest seq — readers page from their own cursor, a spurious call costs one
 * empty read, a missed one would stall a live subscriber.
 *
 * A committed seq is not readable yet while an older transaction still runs
 * (readers serve the settled prefix, postgres-commit.ts). So a notified seq —
 * or one of this process's own commits that was held back — is a TARGET: the
 * watcher reads the settled seq, announces it, and while it is below the
 * target reads again after a short, growing pause. When the older transaction
 * commits, rolls back or dies with its replica, the held-back events are
 * announced within one pause, even though nobody notifies about a death.
 */
import pg from 'pg';
import { commitChannel } from './postgres-commit.js';

export type CommitListener = (lastSeq: number) => void;

export class CommitWatcher {
  readonly #config: pg.ClientConfig;
  readonly #token: string;
  readonly #currentSeq: () => Promise<number>;
  readonly #listeners = new Set<CommitListener>();
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #backoffMs = 250;
  #connected = false;
  #closed = false;
  /** Highest seq waited for, and highest settled seq announced. */
  #target = 0;
  #announced = 0;
  #settling = false;
  #settleTimer: NodeJS.Timeout | undefined;

  constructor(config: pg.ClientConfig, token: string, currentSeq: () => Promise<number>) {
    this.#config = config;
    this.#token = token;
    this.#currentSeq = currentSeq;
  }

  /** Adds a listener; the connection is opened with the first one and closed with the last. */
  add(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    if (this.#client === undefined && this.#retry === undefined) void this.#connect(false);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#disconnect();
    };
  }

  /** Whether the LISTEN is in place (tests wait for it before committing elsewhere). */
  get listening(): boolean {
    return this.#connected;
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#disconnect();
  }

  async #connect(reconnect: boolean): Promise<void> {
    this.#retry = undefined;
    if (this.#closed || this.#listeners.size === 0) return;
    const client = new pg.Client(this.#config);
    this.#client = client;
    // An idle LISTEN connection reports its loss only through these events.
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (n) => this.#notified(n.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${commitChannel}`);
    } catch {
      this.#lost(client);
      return;
    }
    if (this.#client !== client) return;
    this.#connected = true;
    this.#backoffMs = 250;
    if (reconnect) {
      try {
        this.#emit(await this.#currentSeq());
      } catch {
        // The next reconnect (or notification) tells them.
      }
    }
  }

  #notified(payload: string | undefined): void {
    const [seq, token] = (payload ?? '').split(' ');
    const lastSeq = Number(seq);
    if (token !== this.#token && Number.isSafeInteger(lastSeq)) this.settle(lastSeq);
  }

  /** Announces `seq` once it is readable (every older transaction has ended). */
  settle(seq: number): void {
    if (this.#closed || this.#listeners.size === 0 || seq <= this.#announced) return;
    this.#target = Math.max(this.#target, seq);
    if (!this.#settling) void this.#settle(2);
  }

  async #settle(pauseMs: number): Promise<void> {
    this.#settling = true;
    this.#settleTimer = undefined;
    let settled = this.#announced;
    try {
      settled = await this.#currentSeq();
    } catch {
      // The database is away: try again after the pause.
    }
    if (settled > this.#announced) this.#emit(settled);
    if (this.#closed || this.#listeners.size === 0 || this.#announced >= this.#target) {
      this.#settling = false;
      return;
    }
    this.#settleTimer = setTimeout(() => void this.#settle(Math.min(pauseMs * 2, 250)), pauseMs);
    this.#settleTimer.unref();
  }

  #emit(lastSeq: number): void {
    this.#announced = Math.max(this.#announced, lastSeq);
    for (const listener of this.#listeners) listener(lastSeq);
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#connected = false;
    client.end().catch(() => {});
    if (this.#closed || this.#listeners.size === 0) return;
    this.#retry = setTimeout(() => void this.#connect(true), this.#backoffMs);
    this.#retry.unref();
    this.#backoffMs = Math.min(this.#backoffMs * 2, 5_000);
  }

  #disconnect(): void {
    clearTimeout(this.#settleTimer);
    this.#settling = false;
    this.#target = 0;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#connected = false;
    client?.end().catch(() => {});
  }
}
