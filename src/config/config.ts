/**
 * Flags + environment → one validated, typed, frozen Config. This is the only
 * module that reads `process.env` (it is passed in, so tests pass their own).
 * A flag beats its environment variable, which beats the default. The options
 * themselves are declared in serve-options.ts.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { type AccessKeysConfig, keyList, originList } from './access-options.js';
import { ConfigError } from './config-error.js';
import { type Limits, limitsOf } from './limits.js';
import { type NatsConfig, natsConfig } from './nats-options.js';
import type { OptionSpec } from './option-spec.js';
import { type RetentionConfig, retentionConfig } from './retention-options.js';
import { type OptionName, serveOptions } from './serve-options.js';

export type StoreKind = 'sqlite' | 'postgres';
export type SyncMode = 'full' | 'normal';
export type SqliteWriter = 'worker' | 'inline';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly store: StoreKind;
  readonly databaseUrl: string | undefined;
  readonly sync: SyncMode;
  readonly sqliteWriter: SqliteWriter;
  readonly logLevel: string;
  /**
   * Status of a successful publish: 200, or 202 with `queued_count` added for
   * the original service's clients. Either is sent only after commit.
   */
  readonly acceptedStatus: 200 | 202;
  /** Milliseconds between SSE heartbeat comments on idle /subscribe streams. */
  readonly sseHeartbeatMs: number;
  readonly limits: Limits;
  /** API keys per kind; a kind with no keys is open (see src/http/policies/access.ts). */
  readonly access: AccessKeysConfig;
  /** Origins allowed to call the API from a browser (CORS); empty: CORS off, `*`: any origin. */
  readonly corsOrigins: readonly string[];
  /** Names this process's counter rows in a shared PostgreSQL database (default `hostname:port`). */
  readonly instanceId: string;
  /** The JetStream source; undefined when no NATS URL is configured. */
  readonly nats: NatsConfig | undefined;
  /** Pruning of old event bodies; undefined when off (the default: keep everything). */
  readonly retention: RetentionConfig | undefined;
}

/** Parses `serve` arguments and environment into a Config; throws ConfigError naming the bad option. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: Object.fromEntries(
      Object.values(serveOptions).map((o) => [o.flag, { type: 'string' as const }]),
    ),
  });
  const raw = (name: OptionName): string | undefined => {
    const spec = serveOptions[name];
    return (values[spec.flag] as string | undefined) ?? env[spec.env];
  };
  const str = (name: 'host' | 'dataDir'): string => raw(name) ?? serveOptions[name].default;
  const int = (name: OptionName): number => {
    const spec: OptionSpec = serveOptions[name];
    const text = raw(name);
    const fallback = Number(spec.default ?? 0);
    if (text === undefined || text === '') return Math.max(spec.atLeast ?? 0, fallback);
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ConfigError(`--${spec.flag} / ${spec.env} must be a non-negative integer, got "${text}"`);
    }
    return Math.max(spec.atLeast ?? 0, n);
  };
  const oneOf = <T extends string>(name: OptionName): T => {
    const spec: OptionSpec = serveOptions[name];
    const value = raw(name) ?? String(spec.default);
    if (!spec.values?.includes(value)) {
      throw new ConfigError(
        `--${spec.flag} / ${spec.env} must be one of ${spec.values?.join(', ')}, got "${value}"`,
      );
    }
    return value as T;
  };

  const store = oneOf<StoreKind>('store');
  const databaseUrl = raw('databaseUrl') || undefined;
  if (store === 'postgres' && !databaseUrl) {
    throw new ConfigError('--store postgres needs --database-url or DATABASE_URL');
  }
  const retention = retentionConfig(raw);
  if (store === 'postgres' && retention?.bytes !== undefined) {
    // PostgreSQL reuses deleted rows' space only after VACUUM: its size cannot say what is due.
    throw new ConfigError('--retain-bytes / RETAIN_BYTES works with --store sqlite only; use --retain-days');
  }
  const port = int('port');
  if (port > 65535) throw new ConfigError(`--port / PORT must be at most 65535, got ${port}`);

  const limits = limitsOf((name) => int(name));
  // Node refuses a headers timeout longer than the request timeout (it could never fire).
  if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      `--headers-timeout-ms (${limits.headersTimeoutMs}) must not exceed --request-timeout-ms (${limits.requestTimeoutMs})`,
    );
  }

  return Object.freeze({
    host: str('host'),
    port,
    dataDir: str('dataDir'),
    store,
    databaseUrl,
    sync: oneOf<SyncMode>('sync'),
    sqliteWriter: oneOf<SqliteWriter>('sqliteWriter'),
    logLevel: oneOf('logLevel'),
    acceptedStatus: oneOf<'200' | '202'>('acceptedStatus') === '202' ? 202 : 200,
    sseHeartbeatMs: int('sseHeartbeatMs'),
    limits,
    access: Object.freeze({
      publishKeys: keyList(raw('publishKey'), '--publish-key / PUBLISH_KEY'),
      readKeys: keyList(raw('readKey'), '--read-key / READ_KEY'),
    }),
    corsOrigins: originList(raw('corsOrigin'), '--cors-origin / CORS_ORIGIN'),
    // Port 0 picks a free port, so two such processes on one host need the pid to differ.
    instanceId: raw('instanceId') || `${hostname()}:${port === 0 ? `pid-${process.pid}` : port}`,
    nats: natsConfig(raw),
    retention,
  });
}
