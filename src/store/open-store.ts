/** Opens the store the config names. */
import type { Config } from '../config/config.js';
import type { EventStore } from './event-store.js';
import { SqliteStore } from './sqlite-store.js';
import { ThreadedSqliteStore } from './threaded-sqlite-store.js';

export async function openStore(config: Config): Promise<EventStore> {
  switch (config.store) {
    case 'sqlite': {
      const options = { dataDir: config.dataDir, sync: config.sync };
      return config.sqliteWriter === 'worker' ? ThreadedSqliteStore.open(options) : new SqliteStore(options);
    }
    case 'postgres':
      throw new Error('the PostgreSQL store is not built yet');
  }
}
