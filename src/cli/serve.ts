/**
 * `aggregator serve`: start the aggregator (store, writer, HTTP app, the
 * JetStream source when configured; see aggregator.ts), listen; on
 * SIGTERM/SIGINT stop pulling from JetStream, stop accepting, drain and commit
 * what is queued, close the store, exit 0. A second signal exits at once with 1.
 */
import { type Logger, pino } from 'pino';
import { startAggregator } from '../aggregator.js';
import { type Config, loadConfig } from '../config/config.js';
import type { RouteAccess } from '../http/policies/access.js';

export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(argv, env);
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } });
  const aggregator = await startAggregator(config, { logger, clock: Date.now });
  const { store, writer, app } = aggregator;
  store.onFatal?.((err) => {
    logger.fatal({ err }, 'the store broke beyond recovery; exiting so a supervisor restarts the aggregator');
    process.exit(1);
  });

  const state = await store.stats();
  const n = (x: number) => x.toLocaleString('en-US');
  logger.info(
    `loaded state: ${n(state.unique_processed)} unique events in ${n(state.topics.length)} topics from ${store.location}`,
  );

  logAccess(logger, config, app.accessTable);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without draining`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: draining ${writer.depth} queued events, then closing`);
    try {
      await aggregator.close();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const url = await app.listen({ host: config.host, port: config.port });
  logger.info(
    { url, store: config.store, sync: config.sync, instance: config.instanceId },
    `listening on ${url}`,
  );
}

/** Says at startup who may do what; an open kind is a warning (SPEC: "says so in its startup log"). */
function logAccess(logger: Logger, config: Config, routes: readonly RouteAccess[]): void {
  const { publishKeys, readKeys } = config.access;
  if (publishKeys.length === 0 && readKeys.length === 0) {
    logger.warn(
      'access control is OFF: no --publish-key / --read-key configured, anyone who can reach this port may publish and read',
    );
    return;
  }
  // Counts only: a key never reaches the log.
  const open = routes.filter((r) => r.access === 'open' && r.method !== 'HEAD');
  logger.info(
    {
      publish_keys: publishKeys.length,
      read_keys: readKeys.length,
      open_routes: open.map((r) => `${r.method} ${r.url}`),
    },
    'access control is on: Authorization: Bearer <key> required',
  );
  if (publishKeys.length === 0) logger.warn('no --publish-key configured: anyone may publish');
  if (readKeys.length === 0) logger.warn('no --read-key configured: anyone may read events and stats');
}
