/**
 * PostgreSQL errors → the store's faults. A lost or refused connection, an
 * administrator's termination, a lock or statement timeout or a
 * serialization failure are "unavailable, retry later" (HTTP 503): nothing of
 * the transaction was committed — or, if the connection broke during COMMIT,
 * possibly was, and the retry is then answered as a duplicate, which is the
 * at-least-once contract. Anything else is a bug and stays as it is.
 *
 * @see https://www.postgresql.org/docs/15/errcodes-appendix.html (SQLSTATE classes)
 */
import pg from 'pg';
import { StorageFullError, StoreUnavailableError, storeFaultCode } from '../event-store.js';

/** SQLSTATE classes and codes that mean "the database cannot do it now". */
const unavailableClasses = new Set(['08', '53', '57', '58', '40', 'XX']);
const unavailableCodes = new Set(['55P03', '55000', '3D000', '28000', '28P01']);

export function translatePgError(err: unknown): unknown {
  if (storeFaultCode(err) !== undefined) return err;
  if (!(err instanceof pg.DatabaseError)) {
    // A programming error stays visible; anything else without a SQLSTATE is the connection:
    // a socket error (ECONNRESET, ECONNREFUSED), "Connection terminated unexpectedly", a timeout.
    return err instanceof TypeError || err instanceof RangeError ? err : new StoreUnavailableError(err);
  }
  const code = err.code ?? '';
  if (code === '53100') return new StorageFullError(err);
  if (unavailableClasses.has(code.slice(0, 2)) || unavailableCodes.has(code)) {
    return new StoreUnavailableError(err);
  }
  return err;
}
