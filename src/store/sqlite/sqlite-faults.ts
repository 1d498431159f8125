/** How SQLite's failures become the store's faults, and what "ready" means for an SQLite store. */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageFullError, StoreUnavailableError } from '../event-store.js';
import type { SqliteReader } from './sqlite-reader.js';

/**
 * SQLite's result codes → the store's faults; anything else is a bug and stays as it is.
 * A full disk is SQLITE_FULL when a write() fails, but an I/O error where the disk ran out
 * while SQLite grew its WAL index or synced (SQLITE_IOERR_SHMSIZE, _FSYNC, …); better-sqlite3
 * does not pass errno on, so an I/O error with (almost) no space left counts as a full disk.
 */
export function translate(err: unknown, databasePath?: string): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  if (code === 'SQLITE_FULL') return new StorageFullError(err);
  if (code.startsWith('SQLITE_IOERR') && databasePath !== undefined && outOfSpace(dirname(databasePath))) {
    return new StorageFullError(err);
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN') {
    return new StoreUnavailableError(err);
  }
  return err;
}

/**
 * Readiness of an SQLite store: it answers a read, and its disk has room for a
 * commit. Only a real write would prove more, and an empty or tiny one can
 * still succeed on a full disk (the WAL reuses its own space).
 */
export function pingSqlite(reader: SqliteReader, databasePath: string): void {
  reader.ping();
  if (outOfSpace(dirname(databasePath))) {
    throw new StorageFullError(new Error(`less than 4 MiB free for ${databasePath}`));
  }
}

/** Less free space left than one large commit needs; false when the file system cannot say. */
function outOfSpace(dir: string): boolean {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize < 4 * 1024 * 1024;
  } catch {
    return false;
  }
}
