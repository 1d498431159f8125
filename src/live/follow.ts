/**
 * Follows the store for one subscriber: send every stored event past the
 * cursor (optionally of one topic) in commit order, a page at a time, then
 * sleep until the hub announces a commit past what was scanned, and repeat.
 *
 * Memory per subscriber is one page, whatever the client's speed: the next
 * page is read only after the socket took the previous one. Nothing is lost
 * between "caught up" and "asleep": the hub's last seq is taken BEFORE the
 * read, so a commit that lands during the read is past `scanned` and wakes
 * the loop at once.
 */
import type { StoredEvent } from '../domain/event.js';
import type { EventStore } from '../store/event-store.js';
import type { Hub } from './hub.js';
import { eventFrame, type SseStream } from './sse-stream.js';

interface FollowOptions {
  readonly store: Pick<EventStore, 'list'>;
  readonly hub: Hub;
  readonly stream: SseStream;
  readonly topic: string | undefined;
  /** Send events with seq greater than this. */
  readonly after: number;
  /** Events read (and so buffered) per step. */
  readonly pageSize: number;
  /** Each event's `data:` text (JSON, or a CloudEvent). */
  readonly render: (e: StoredEvent) => string;
}

/** Resolves when the stream or the hub closes; rejects if the store fails. */
export async function follow(options: FollowOptions): Promise<void> {
  const { store, hub, stream, topic, pageSize, render } = options;
  const subscription = hub.subscribe();
  stream.onClose(() => subscription.close());
  try {
    let cursor = options.after;
    while (!stream.closed) {
      const known = hub.lastSeq;
      const rows = await store.list({ topic, after: cursor, limit: pageSize });
      if (rows.length > 0) {
        cursor = rows[rows.length - 1].seq;
        await stream.write(rows.map((row) => eventFrame(row.seq, render(row))).join(''));
      }
      if (rows.length === pageSize) continue;
      // Everything committed up to `known` has been seen (other topics' events included).
      if (!(await subscription.next(Math.max(cursor, known)))) break;
    }
  } finally {
    subscription.close();
  }
}
