/**
 * The PostgreSQL store's newest-first read (EventStore.listNewest), apart
 * from the rest of the read path: a descending scan of the primary key, or of
 * the (topic, seq) index for one topic, so a topic's latest events are found
 * however far back they lie. Like every read it sees only settled rows (a
 * prefix of the seq order), so paging down with `before` skips nothing.
 */
import type { StoredEvent } from '../../domain/event.js';
import type { NewestQuery } from '../event-store.js';
import { settled } from './postgres-commit.js';
import { eventColumns as columns, type EventRow, toStoredEvent } from './postgres-statements.js';

const newestSql = `SELECT ${columns} FROM agg_events
 WHERE seq < $1 AND ${settled} ORDER BY seq DESC LIMIT $2`;
const newestTopicSql = `SELECT ${columns} FROM agg_events
 WHERE topic = $3 AND seq < $1 AND ${settled} ORDER BY seq DESC LIMIT $2`;

/** Runs one statement (the store's read pool, with its error translation). */
type Query = (text: string, values: unknown[]) => Promise<{ rows: EventRow[] }>;

export async function listNewest(query: Query, q: NewestQuery): Promise<StoredEvent[]> {
  // seq is a bigint: a bound past every stored seq when none is given.
  const before = String(q.before ?? '9223372036854775807');
  const { rows } =
    q.topic === undefined
      ? await query(newestSql, [before, q.limit])
      : await query(newestTopicSql, [before, q.limit, q.topic]);
  return rows.map(toStoredEvent);
}
