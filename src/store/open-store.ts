/**
 * Opens a store from what opening it needs — never the whole Config with its
 * keys. Each engine is imported only when it is used: an SQLite-only server
 * does not carry the PostgreSQL driver (~10 MB of RSS), and with the writer
 * thread the server's own thread does not load the SQLite write engine.
 */
import type { EventStore } from './event-store.js';
import type { PostgresStoreOptions } from './postgres/postgres-store.js';
import type { SqliteStoreOptions } from './sqlite/sqlite-store.js';
import { ThreadedSqliteStore } from './sqlite/threaded-sqlite-store.js';

export type StoreOptions =
  | (SqliteStoreOptions & {
      readonly kind: 'sqlite';
      /** `worker`: commits in a writer thread (the default); `inline`: on the caller's thread. */
      readonly writer: 'worker' | 'inline';
    })
  | (PostgresStoreOptions & { readonly kind: 'postgres' });

export async function openStore(options: StoreOptions): Promise<EventStore> {
  switch (options.kind) {
    case 'sqlite': {
      const { kind: _kind, writer, ...sqlite } = options;
      if (writer === 'worker') return ThreadedSqliteStore.open(sqlite);
      const { SqliteStore } = await import('./sqlite/sqlite-store.js');
      return new SqliteStore(sqlite);
    }
    case 'postgres': {
      const { PostgresStore } = await import('./postgres/postgres-store.js');
      const { kind: _kind, ...postgres } = options;
      return PostgresStore.open(postgres);
    }
  }
}
