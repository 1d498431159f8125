/**
 * The retention loop: asks the store to prune, one bounded step at a time,
 * for as long as something is due, then sleeps and looks again. It never
 * holds the writer up for more than one step: each step is a short
 * transaction of its own that the store runs between group commits (on
 * SQLite in the writer thread, as a message queued behind the commits already
 * sent), and the loop waits for one step to end before it asks for the next.
 *
 * The policy is turned into a request here, with the injected clock, so the
 * store needs no clock of its own and tests can move time.
 */
import type { Logger } from 'pino';
import type { RetentionConfig } from '../config/retention-options.js';
import type { EventStore, PruneRequest } from '../store/event-store.js';

const DAY_MS = 86_400_000;

export interface PrunerOptions {
  readonly policy: RetentionConfig;
  /** Milliseconds since the epoch; the same clock that stamps `received_at`. */
  readonly clock: () => number;
  readonly logger: Pick<Logger, 'warn'>;
  /** Events per step: small enough that a commit waiting behind a step barely notices. */
  readonly stepEvents?: number;
  /** How long to sleep when nothing is due. */
  readonly idleMs?: number;
}

export class Pruner {
  readonly #store: Required<Pick<EventStore, 'prune'>>;
  readonly #options: PrunerOptions;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(store: Required<Pick<EventStore, 'prune'>>, options: PrunerOptions) {
    this.#store = store;
    this.#options = options;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops after the step in progress (if any) has ended; call before the store closes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#running;
  }

  #request(): PruneRequest {
    const { days, bytes } = this.#options.policy;
    return {
      receivedBefore: days === undefined ? undefined : this.#options.clock() - days * DAY_MS,
      maxBytes: bytes,
      maxEvents: this.#options.stepEvents ?? 256,
    };
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let more = false;
      try {
        more = (await this.#store.prune(this.#request())).more;
      } catch (err) {
        // A failed step changed nothing (one transaction); it is tried again after the pause.
        this.#options.logger.warn({ err }, 'retention step failed; retrying later');
      }
      if (this.#stopped) break;
      await (more ? yieldToIo() : this.#sleep(this.#options.idleMs ?? 1000));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
      this.#timer.unref();
    });
  }
}

/** Lets pending I/O (requests, commit replies) run before the next step is sent. */
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));
