/**
 * The running aggregator, wired in one place: the store the config names, the
 * writer (tuned by where that store commits), the HTTP app, and the JetStream
 * source when one is configured. `aggregator serve` adds only listen() and
 * signals; the in-process test harness calls the same function, so tests run
 * what production runs (as fastify/demo's test helper builds the real app).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { redactUrl } from './config/redact-url.js';
import { buildApp } from './http/app.js';
import { Writer } from './ingest/writer.js';
import { Pruner } from './retention/pruner.js';
import type { NatsSource } from './sources/nats-source.js';
import type { EventStore } from './store/event-store.js';
import { openStore, type StoreOptions } from './store/open-store.js';

interface AggregatorDeps {
  readonly logger: Logger;
  /** Milliseconds since the epoch: `received_at`, uptime. */
  readonly clock: () => number;
}

export interface Aggregator {
  readonly config: Config;
  readonly store: EventStore;
  readonly writer: Writer;
  readonly app: FastifyInstance;
  /**
   * Stops pulling from JetStream (what is in flight commits and is
   * acknowledged), then closes the app: the writer drains, the store closes.
   */
  close(): Promise<void>;
}

export async function startAggregator(config: Config, deps: AggregatorDeps): Promise<Aggregator> {
  const { logger, clock } = deps;
  let store: EventStore;
  try {
    store = await openStore(storeOptions(config));
    if (config.retention !== undefined && store.prune === undefined) {
      await store.close();
      throw new Error(`retention (--retain-days, --retain-bytes) is not available on ${config.store}`);
    }
  } catch (err) {
    const where = config.store === 'postgres' ? redactUrl(config.databaseUrl ?? '') : config.dataDir;
    throw new Error(`cannot open the store at ${where}: ${(err as Error).message}`, { cause: err });
  }
  const writer = new Writer(store, {
    queueEvents: config.limits.queueEvents,
    batchEvents: config.limits.batchEvents,
    clock,
  });
  let app: FastifyInstance;
  let source: NatsSource | undefined;
  try {
    // The source starts after the app, so that the app's commit listeners (metrics) see its first commits.
    const natsState = () => source?.state;
    app = await buildApp({ config, store, writer, logger, clock, startedAt: clock(), natsState });
  } catch (err) {
    await writer.close();
    await store.close();
    throw err;
  }

  if (config.nats !== undefined) {
    try {
      // Imported only when configured: a server without a broker does not carry the NATS client.
      const { NatsSource } = await import('./sources/nats-source.js');
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

  const pruner =
    config.retention !== undefined && store.prune !== undefined
      ? new Pruner({ prune: store.prune.bind(store) }, { policy: config.retention, clock, logger })
      : undefined;
  pruner?.start();

  return {
    config,
    store,
    writer,
    app,
    async close() {
      await source?.stop();
      // Before the store closes under it; a step in progress ends first (it is one transaction).
      await pruner?.stop();
      await app.close();
    },
  };
}

/** What opening the configured store needs, and nothing else of the config. */
function storeOptions(config: Config): StoreOptions {
  return config.store === 'sqlite'
    ? { kind: 'sqlite', dataDir: config.dataDir, sync: config.sync, writer: config.sqliteWriter }
    : // loadConfig refuses `--store postgres` without a URL.
      { kind: 'postgres', url: config.databaseUrl as string, instanceId: config.instanceId };
}
