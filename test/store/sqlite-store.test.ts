/** The store contract on the embedded SQLite store, inline and with its writer thread. */
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-sqlite-store.js';
import { tempDir } from '../support/harness.js';
import { storeContract } from '../support/store-contract.js';

storeContract('SqliteStore', {
  fixture: async (t) => {
    const dataDir = tempDir(t);
    return { open: async () => new SqliteStore({ dataDir, sync: 'full' }) };
  },
});

storeContract('ThreadedSqliteStore', {
  fixture: async (t) => {
    const dataDir = tempDir(t);
    return { open: () => ThreadedSqliteStore.open({ dataDir, sync: 'full' }) };
  },
});
