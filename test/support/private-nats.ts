/**
 * A nats-server of the test's own (JetStream on, its own port and store
 * directory), so a test can stop and restart it — an outage — without
 * touching the shared server on 4222. Killed and its directory removed when
 * the test ends.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import { makeTempDir, removeDir } from './harness.js';
import { type Child, freePort, spawnProcess } from './process.js';

const natsServer = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
type After = { after: (fn: () => Promise<void> | void) => void };

/** Why a private server cannot run here, or false. */
export const privateNatsSkip: string | false = existsSync(natsServer)
  ? false
  : `no nats-server at ${natsServer} (set NATS_SERVER_BIN)`;

export interface PrivateNats {
  readonly url: string;
  /** Stops the server (SIGTERM, or SIGKILL for a crash); JetStream's data stays in its directory. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory; resolves once it answers. */
  start(): Promise<void>;
}

export async function privateNats(c: After): Promise<PrivateNats> {
  const port = await freePort();
  const dir = makeTempDir('agg-nats-');
  const url = `nats://127.0.0.1:${port}`;
  let child: Child | undefined;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const running = child;
    child = undefined;
    if (running === undefined) return;
    running.child.kill(signal);
    await running.exited;
  };
  const start = async () => {
    child = spawnProcess(natsServer, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]);
    // Ready when a client can reach JetStream.
    for (let i = 0; ; i++) {
      try {
        const nc = await connect({ servers: url, reconnect: false, timeout: 1_000 });
        try {
          await (await nc.jetstreamManager()).getAccountInfo();
          return;
        } finally {
          await nc.close();
        }
      } catch (err) {
        if (i >= 100)
          throw new Error(`private nats-server did not start: ${(err as Error).message}\n${child.stderr()}`);
        await sleep(100);
      }
    }
  };
  c.after(async () => {
    await stop('SIGKILL');
    removeDir(dir);
  });
  await start();
  return { url, stop, start };
}
