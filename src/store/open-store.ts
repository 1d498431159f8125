/** Opens the store the config names. */
import type { Config } from '../config/config.js';
import type { EventStore } from './event-store.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import { ThreadedSqliteStore } from './threaded-sqlite-store.js';

export async function openStore(config: Config): Promise<EventStore> {
  switch (config.store) {
    case 'sqlite': {
      const options = { dataDir: config.dataDir, sync: config.sync };
      return config.sqliteWriter === 'worker' ? ThreadedSqliteStore.open(options) : new SqliteStore(options);
    }
    case 'postgres':
      // loadConfig refuses `--store postgres` without a URL.
      return PostgresStore.open({ url: config.databaseUrl as string, instanceId: config.instanceId });
  }
}
