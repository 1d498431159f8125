/**
 * `aggregator serve`: open the store, start the writer and the HTTP app, the
 * JetStream source when configured, listen; on SIGTERM/SIGINT stop pulling
 * from JetStream, stop accepting, drain and commit what is queued, close the
 * store, exit 0. A second signal exits at once with 1.
 */
import { type Logger, pino } from 'pino';
import { type Config, loadConfig } from '../config/config.js';
import { redactUrl } from '../config/redact-url.js';
import { buildApp } from '../http/app.js';
import type { RouteAccess } from '../http/policies/access.js';
import { Writer } from '../ingest/writer.js';
import type { NatsSource } from '../sources/nats-source.js';
import { openStore } from '../store/open-store.js';

export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(argv, env);
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } });
  const store = await openStore(config);
  store.onFatal?.((err) => {
    logger.fatal({ err }, 'the store broke beyond recovery; exiting so a supervisor restarts the aggregator');
    process.exit(1);
  });
  const inline = config.store === 'sqlite' && config.sqliteWriter === 'inline';
  // Off the event loop (writer thread, PostgreSQL), commits overlap with parsing: split heavy groups, keep two in flight.
  const writer = new Writer(
    store,
    inline ? config.limits : { ...config.limits, splitAbove: 32, pipeline: 2 },
  );
  const startedAt = Date.now();
  const app = await buildApp({ config, store, writer, logger, clock: Date.now, startedAt });

  const state = await store.stats();
  const n = (x: number) => x.toLocaleString('en-US');
  logger.info(
    `loaded state: ${n(state.unique_processed)} unique events in ${n(state.topics.length)} topics from ${store.location}`,
  );

  logAccess(logger, config, app.accessTable);

  let source: NatsSource | undefined;
  if (config.nats) {
    try {
      // Imported only when configured: a server without a broker does not carry the NATS client.
      const { NatsSource } = await import('../sources/nats-source.js');
      source = await NatsSource.start({
        config: config.nats,
        writer,
        limits: config.limits,
        logger,
        name: config.instanceId,
      });
    } catch (err) {
      await app.close();
      throw new Error(
        `cannot consume from NATS at ${redactUrl(config.nats.url)}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without draining`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: draining ${writer.depth} queued events, then closing`);
    try {
      // The source first: no new messages, and those in flight are committed and acknowledged.
      await source?.stop();
      await app.close();
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
