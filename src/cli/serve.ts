/**
 * `aggregator serve`: start the aggregator (store, writer, HTTP app, the
 * JetStream source when configured; see aggregator.ts), listen; on
 * SIGTERM/SIGINT stop pulling from JetStream, stop accepting, drain and commit
 * what is queued, close the store, exit 0. A second signal (a second or more
 * after the first) exits at once with 1.
 *
 * A start that fails (store unreadable, JetStream unreachable, port taken)
 * closes what it opened and rejects with a CliError, so the process exits
 * non-zero at once instead of being held alive by the SQLite writer thread.
 * An uncaught exception or unhandled rejection is logged and exits 1.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type Aggregator, startAggregator } from '../aggregator.js';
import { type Config, loadConfig } from '../config/config.js';
import type { RouteAccess } from '../http/policies/access.js';
import { CliError } from './cli-error.js';
import { serverNodeFlags, tuneHeap, youngGenerationBounded } from './heap-tuning.js';
import { createLogger, fastifyListenMarker } from './logger.js';

/** How long a failed start may spend closing what it opened before the process exits anyway. */
const closeAfterFailureMs = 5_000;

/**
 * The first signal can arrive twice: Ctrl-C signals the whole foreground
 * process group and `npm start` forwards it too. A repeat within this window
 * is that echo, not a request to skip the drain.
 */
const repeatedSignalMs = 1_000;

export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  // Before the store and the HTTP app allocate anything (see heap-tuning.ts).
  tuneHeap();
  const config = loadConfig(argv, env);
  const logger = await createLogger(config.logLevel);
  exitOnUncaught(logger);
  if (!youngGenerationBounded())
    logger.warn(
      `node was started without ${serverNodeFlags.join(' ')}: V8's default young generation may hold ~28 MB more memory (npm start, the aggregator command and the Docker image pass it)`,
    );
  let aggregator: Aggregator;
  try {
    // startAggregator closes what it opened when a later step fails.
    aggregator = await startAggregator(config, { logger, clock: Date.now });
  } catch (err) {
    // The stack goes to the log; the user gets one line.
    logger.fatal({ err }, `cannot start: ${(err as Error).message}`);
    throw new CliError(`cannot start: ${(err as Error).message}`, { cause: err });
  }
  try {
    await listen(config, logger, aggregator);
  } catch (err) {
    const known = listenFailure(err, config);
    const message = known ?? `cannot start: ${(err as Error).message}`;
    // An expected failure is said in one line; an unexpected one keeps its stack for the bug report.
    logger.fatal(known ? {} : { err }, `${message}; closing the store`);
    await Promise.race([aggregator.close(), sleep(closeAfterFailureMs)]).catch((closeErr) =>
      logger.error({ err: closeErr }, 'closing after the failed start failed too'),
    );
    throw new CliError(message, { cause: err });
  }
}

async function listen(config: Config, logger: Logger, aggregator: Aggregator): Promise<void> {
  const { store, app } = aggregator;
  store.onFatal?.((err) => {
    logger.fatal({ err }, 'the store broke beyond recovery; exiting so a supervisor restarts the aggregator');
    process.exit(1);
  });

  const state = await store.stats();
  const n = (x: number) => x.toLocaleString('en-US');
  logger.info(
    `loaded state: ${n(state.unique_processed)} unique events in ${n(state.topics.length)} topics from ${store.location}`,
  );
  const { retention } = config;
  if (retention !== undefined) {
    const limits = [
      retention.days === undefined ? '' : `older than ${retention.days} days`,
      retention.bytes === undefined ? '' : `beyond ${n(retention.bytes)} bytes`,
    ].filter((x) => x !== '');
    logger.info(
      `retention on: event bodies ${limits.join(' or ')} are pruned, keys kept (${n(state.retention.events_pruned)} pruned so far)`,
    );
  }

  logAccess(logger, config, app.accessTable);
  handleSignals(logger, aggregator);

  // Fastify's own "listening" line is dropped (see logger.ts): this one says it all, once.
  const url = await app.listen({
    host: config.host,
    port: config.port,
    listenTextResolver: () => fastifyListenMarker,
  });
  logger.info(
    { url, store: config.store, sync: config.sync, instance: config.instanceId },
    `listening on ${url}`,
  );
}

function handleSignals(logger: Logger, aggregator: Aggregator): void {
  let stoppingSince: number | undefined;
  const stop = async (signal: string) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < repeatedSignalMs) return;
      logger.warn(`${signal} again: exiting without draining`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info(`${signal}: draining ${aggregator.writer.depth} queued events, then closing`);
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
}

/** Logs the error and exits 1: the state of a process that threw where nobody catches is unknown. */
function exitOnUncaught(logger: Logger): void {
  process.on('uncaughtException', (err, origin) => {
    const what = origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception';
    logger.fatal({ err }, `${what}: ${err?.message ?? String(err)}; exiting`);
    process.exit(1);
  });
}

/** One line saying why listening failed, naming the option to change; undefined when unexpected. */
function listenFailure(err: unknown, config: Config): string | undefined {
  const { host, port } = config;
  switch ((err as { code?: string }).code) {
    case 'EADDRINUSE':
      return `cannot listen on ${host}:${port}: the port is already in use (EADDRINUSE); choose another with --port / PORT`;
    case 'EACCES':
      return `cannot listen on ${host}:${port}: permission denied (EACCES); ports below 1024 need privileges`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host}:${port}: --host / HOST is not an address of this machine (EADDRNOTAVAIL)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}:${port}: --host / HOST does not resolve`;
    default:
      return undefined;
  }
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
