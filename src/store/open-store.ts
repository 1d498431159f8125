/**
 * Opens the store the config names. The PostgreSQL driver is imported only when
 * it is used: an SQLite-only server does not carry it (~10 MB of RSS).
 */
import type { Config } from '../config/config.js';
import type { EventStore } from './event-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { ThreadedSqliteStore } from './sqlite/threaded-sqlite-store.js';

export async function openStore(config: Config): Promise<EventStore> {
  switch (config.store) {
    case 'sqlite': {
      const options = { dataDir: config.dataDir, sync: config.sync };
      return config.sqliteWriter === 'worker' ? ThreadedSqliteStore.open(options) : new SqliteStore(options);
    }
    case 'postgres': {
      const { PostgresStore } = await import('./postgres/postgres-store.js');
      // loadConfig refuses `--store postgres` without a URL.
      return PostgresStore.open({ url: config.databaseUrl as string, instanceId: config.instanceId });
    }
  }
}
