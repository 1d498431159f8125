/**
 * On PostgreSQL an acknowledged event is served once its transaction and every
 * older one on the server has ended (README, "Ordering"), so a read right
 * after an ack may lag behind it while some other transaction runs — another
 * test's, autovacuum's. Tests that read what they just wrote wait for it.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Reads until at least `count` rows are served (or the time is up), and returns the last read. */
export async function untilServed<T>(
  read: () => Promise<readonly T[]>,
  count: number,
  timeoutMs = 30_000,
): Promise<readonly T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await read();
    if (rows.length >= count || Date.now() > deadline) return rows;
    await sleep(50);
  }
}
