/**
 * The external services some tests need — PostgreSQL and NATS JetStream on
 * 127.0.0.1 — and per-test isolation on them: every test gets its own
 * database, and its own stream, subject and durable consumer, dropped when it ends.
 *
 * The one place that decides skip vs. fail: with `CI` set an unreachable
 * service FAILS the tests that need it; on a developer machine they are
 * skipped with a message saying how to start the service.
 */
import { randomBytes } from 'node:crypto';
import { AckPolicy, connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import pg from 'pg';

export const adminDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const natsUrl = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const inCi = Boolean(process.env.CI);

const howToStart = {
  PostgreSQL: 'pg_ctlcluster --skip-systemctl-redirect 15 main start (or set TEST_DATABASE_URL)',
  NATS: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server (or set TEST_NATS_URL)',
};

export interface ServiceGate {
  /** For `test(name, { skip }, fn)`: a reason to skip, or false. Never a reason in CI. */
  readonly skip: string | false;
  /** Throws (failing the test) when the service is unreachable; a no-op when it is up. */
  require(): void;
}

function gate(name: keyof typeof howToStart, problem: string | undefined): ServiceGate {
  const message = `${name} is unreachable (${problem}); start it with: ${howToStart[name]}`;
  if (problem !== undefined && !inCi) console.log(`# skipping ${name} tests: ${message}`);
  return {
    skip: problem !== undefined && !inCi ? message : false,
    require() {
      if (problem !== undefined) throw new Error(`${message}. CI is set, so this is a failure, not a skip.`);
    },
  };
}

/** Checks once per test file whether PostgreSQL answers. */
export async function postgresGate(): Promise<ServiceGate> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return gate('PostgreSQL', undefined);
  } catch (err) {
    return gate('PostgreSQL', (err as Error).message || String(err));
  } finally {
    await client.end().catch(() => {});
  }
}

/** Checks once per test file whether NATS with JetStream answers. */
export async function natsGate(): Promise<ServiceGate> {
  try {
    const nc = await connect({ servers: natsUrl, timeout: 3000, reconnect: false });
    try {
      await (await nc.jetstreamManager()).getAccountInfo();
    } finally {
      await nc.close();
    }
    return gate('NATS', undefined);
  } catch (err) {
    return gate('NATS', (err as Error).message || String(err));
  }
}

type After = { after: (fn: () => Promise<void> | void) => void };

/**
 * Cleanups that run in reverse order of registration (node:test runs `t.after`
 * hooks first-in first-out): servers stop before the database they use is dropped.
 */
export function lifo(t: After): After {
  const stack: (() => Promise<void> | void)[] = [];
  t.after(async () => {
    for (let fn = stack.pop(); fn; fn = stack.pop()) await fn();
  });
  return { after: (fn) => void stack.push(fn) };
}

const suffix = () => randomBytes(5).toString('hex');

/** Runs statements on the admin database (CREATE/DROP DATABASE cannot run in a transaction or pool). */
export async function adminQuery(...statements: string[]): Promise<pg.QueryResult[]> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    const results: pg.QueryResult[] = [];
    for (const s of statements) results.push(await client.query(s));
    return results;
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
}

/** Runs one query on a test database, to look behind the service's back. */
export async function queryDatabase<R extends pg.QueryResultRow>(
  db: TestDatabase,
  sql: string,
): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A new, empty database for this test only, dropped (with its connections) when the test ends. */
export async function freshDatabase(t: After, gate: ServiceGate): Promise<TestDatabase> {
  gate.require();
  const name = `agg_test_${suffix()}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  t.after(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}));
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** Kills every session on the test database, as an administrator or a failover would. Returns how many. */
export async function terminateConnections(db: TestDatabase): Promise<number> {
  const [r] = await adminQuery(
    `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = '${db.name}' AND pid <> pg_backend_pid()`,
  );
  return Number(r.rows[0].n);
}

/** Makes the test database refuse (or accept again) new connections: an outage without touching the server. */
export async function allowConnections(db: TestDatabase, allow: boolean): Promise<void> {
  await adminQuery(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS ${allow}`);
  if (!allow) await terminateConnections(db);
}

export interface TestStream {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  /** The stream's subjects are `${prefix}.>`. */
  readonly prefix: string;
  readonly durable: string;
  /** Flags for `aggregator serve` to consume this stream. */
  readonly flags: string[];
}

/**
 * A new stream (and names for a durable consumer) for this test only, deleted
 * with its consumers when the test ends. `ackWaitMs` pre-creates the durable
 * consumer with that ack wait, as an operator would, so a killed replica's
 * unacknowledged messages come back quickly.
 */
export async function freshStream(t: After, gate: ServiceGate, ackWaitMs?: number): Promise<TestStream> {
  gate.require();
  const id = suffix();
  const stream = `AGG_TEST_${id}`;
  const prefix = `agg-test-${id}`;
  const durable = `agg-test-${id}`;
  const nc = await connect({ servers: natsUrl });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  t.after(async () => {
    await jsm.streams.delete(stream).catch(() => {});
    await nc.close();
  });
  if (ackWaitMs !== undefined) {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ackWaitMs * 1_000_000,
      max_ack_pending: 20_000,
    });
  }
  const flags = [
    '--nats-url',
    natsUrl,
    '--nats-stream',
    stream,
    '--nats-subject',
    `${prefix}.>`,
    '--nats-durable',
    durable,
  ];
  return { nc, js: nc.jetstream(), jsm, stream, prefix, durable, flags };
}
