/** The SQLite store's tables (the dedup index's own table is in key-index.ts). */
export const SCHEMA_VERSION = 2;

export const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  seq          INTEGER PRIMARY KEY,
  key_hash     INTEGER NOT NULL,
  topic        TEXT    NOT NULL,
  event_id     TEXT    NOT NULL,
  timestamp    TEXT    NOT NULL,
  source       TEXT    NOT NULL,
  payload      TEXT    NOT NULL,
  fingerprint  INTEGER NOT NULL,
  received_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_topic ON events (topic, seq);
CREATE TABLE IF NOT EXISTS counters (
  topic             TEXT PRIMARY KEY,
  received          INTEGER NOT NULL,
  unique_processed  INTEGER NOT NULL,
  duplicate_dropped INTEGER NOT NULL,
  conflicts         INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** The retention counters as the meta table holds them; shared by the writer and the reader (keys_kept: one per pruned event). */
export const retentionStatsSql = `SELECT
  coalesce((SELECT value FROM meta WHERE key = 'pruned_events'), 0) AS events_pruned,
  coalesce((SELECT value FROM meta WHERE key = 'pruned_bytes'), 0) AS bytes_reclaimed,
  coalesce((SELECT value FROM meta WHERE key = 'pruned_events'), 0) AS keys_kept,
  coalesce((SELECT value FROM meta WHERE key = 'pruned_seq'), 0) AS pruned_through_seq`;
