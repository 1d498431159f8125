/**
 * Flags + environment → one validated, typed, frozen Config. This is the only
 * module that reads `process.env` (it is passed in, so tests pass their own).
 * A flag beats its environment variable, which beats the default.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { keyList, originList } from './access-options.js';
import { ConfigError } from './config-error.js';
import { defaultLimits, type Limits } from './limits.js';

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
  /** Milliseconds between SSE heartbeat comments on idle /subscribe streams. */
  readonly sseHeartbeatMs: number;
  readonly limits: Limits;
  /** API keys per kind; a kind with no keys is open (see src/http/access.ts). */
  readonly access: AccessKeysConfig;
  /** Origins allowed to call the API from a browser (CORS); empty: CORS off, `*`: any origin. */
  readonly corsOrigins: readonly string[];
  /** Names this process's counter rows in a shared PostgreSQL database (default `hostname:port`). */
  readonly instanceId: string;
  /** The JetStream source; undefined when no NATS URL is configured. */
  readonly nats: NatsConfig | undefined;
}

export interface AccessKeysConfig {
  readonly publishKeys: readonly string[];
  readonly readKeys: readonly string[];
}

export interface NatsConfig {
  readonly url: string;
  readonly stream: string;
  readonly subject: string;
  readonly durable: string;
}

type Kind = 'string' | 'int' | 'enum';
interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly kind: Kind;
  readonly values?: readonly string[];
  readonly help: string;
}

/** Every serve option: the single source for parsing, `--help` and the README table. */
export const serveOptions = {
  host: { flag: 'host', env: 'HOST', kind: 'string', help: 'interface to listen on' },
  port: { flag: 'port', env: 'PORT', kind: 'int', help: 'TCP port (0 picks a free one)' },
  dataDir: { flag: 'data-dir', env: 'DATA_DIR', kind: 'string', help: 'where the SQLite database lives' },
  store: {
    flag: 'store',
    env: 'STORE',
    kind: 'enum',
    values: ['sqlite', 'postgres'],
    help: 'storage engine',
  },
  databaseUrl: { flag: 'database-url', env: 'DATABASE_URL', kind: 'string', help: 'PostgreSQL URL' },
  sync: {
    flag: 'sync',
    env: 'SQLITE_SYNC',
    kind: 'enum',
    values: ['full', 'normal'],
    help: 'SQLite fsync policy: full = fsync every commit (durable); normal = may lose the last commits on power loss (never on kill -9)',
  },
  sqliteWriter: {
    flag: 'sqlite-writer',
    env: 'SQLITE_WRITER',
    kind: 'enum',
    values: ['worker', 'inline'],
    help: 'worker = commit in a writer thread, overlapping HTTP work (faster); inline = on the event loop',
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    help: 'pino log level',
  },
  maxSubscribers: {
    flag: 'max-subscribers',
    env: 'MAX_SUBSCRIBERS',
    kind: 'int',
    help: 'open /subscribe streams before new ones get 503',
  },
  sseHeartbeatMs: {
    flag: 'sse-heartbeat-ms',
    env: 'SSE_HEARTBEAT_MS',
    kind: 'int',
    help: 'idle /subscribe streams get a heartbeat comment this often (ms)',
  },
  bodyBytes: { flag: 'max-body-bytes', env: 'MAX_BODY_BYTES', kind: 'int', help: 'largest request body' },
  eventsPerRequest: {
    flag: 'max-events',
    env: 'MAX_EVENTS_PER_REQUEST',
    kind: 'int',
    help: 'most events per request',
  },
  payloadBytes: {
    flag: 'max-payload-bytes',
    env: 'MAX_PAYLOAD_BYTES',
    kind: 'int',
    help: 'largest serialised payload',
  },
  queueEvents: {
    flag: 'queue-limit',
    env: 'QUEUE_LIMIT',
    kind: 'int',
    help: 'events waiting for the writer before 503',
  },
  batchEvents: { flag: 'batch-limit', env: 'BATCH_LIMIT', kind: 'int', help: 'most events per group commit' },
  publishKey: {
    flag: 'publish-key',
    env: 'PUBLISH_KEY',
    kind: 'string',
    help: 'keys that may POST /publish, comma-separated (rotation); none: publishing is open',
  },
  readKey: {
    flag: 'read-key',
    env: 'READ_KEY',
    kind: 'string',
    help: 'keys that may read (events, stats, subscribe, metrics), comma-separated; none: reading is open',
  },
  corsOrigin: {
    flag: 'cors-origin',
    env: 'CORS_ORIGIN',
    kind: 'string',
    help: 'browser origins allowed to call the API (comma-separated, or *); none: CORS off',
  },
  jsonDepth: { flag: 'max-json-depth', env: 'MAX_JSON_DEPTH', kind: 'int', help: 'deepest payload nesting' },
  ndjsonLineBytes: {
    flag: 'max-ndjson-line-bytes',
    env: 'MAX_NDJSON_LINE_BYTES',
    kind: 'int',
    help: 'longest NDJSON line',
  },
  requestTimeoutMs: {
    flag: 'request-timeout-ms',
    env: 'REQUEST_TIMEOUT_MS',
    kind: 'int',
    help: 'the whole request must arrive within this, else 408 (0: no limit)',
  },
  headersTimeoutMs: {
    flag: 'headers-timeout-ms',
    env: 'HEADERS_TIMEOUT_MS',
    kind: 'int',
    help: 'request headers must arrive within this, else 408',
  },
  keepAliveTimeoutMs: {
    flag: 'keep-alive-timeout-ms',
    env: 'KEEP_ALIVE_TIMEOUT_MS',
    kind: 'int',
    help: 'idle keep-alive connections are closed after this',
  },
  socketTimeoutMs: {
    flag: 'socket-timeout-ms',
    env: 'SOCKET_TIMEOUT_MS',
    kind: 'int',
    help: 'a connection with no traffic either way for this long is closed (0: never)',
  },
  rateLimit: {
    flag: 'rate-limit',
    env: 'RATE_LIMIT',
    kind: 'int',
    help: 'requests per client IP per window before 429 (0: off)',
  },
  rateWindowMs: { flag: 'rate-window-ms', env: 'RATE_WINDOW_MS', kind: 'int', help: 'the rate limit window' },
  instanceId: {
    flag: 'instance-id',
    env: 'INSTANCE_ID',
    kind: 'string',
    help: "names this replica's counter rows in PostgreSQL; keep it stable per replica (default hostname:port)",
  },
  natsUrl: {
    flag: 'nats-url',
    env: 'NATS_URL',
    kind: 'string',
    help: 'consume events from NATS JetStream at this URL (off when unset)',
  },
  natsStream: {
    flag: 'nats-stream',
    env: 'NATS_STREAM',
    kind: 'string',
    help: 'JetStream stream to consume',
  },
  natsSubject: {
    flag: 'nats-subject',
    env: 'NATS_SUBJECT',
    kind: 'string',
    help: 'subject filter of the consumer (and of the stream if it is created)',
  },
  natsDurable: {
    flag: 'nats-durable',
    env: 'NATS_DURABLE',
    kind: 'string',
    help: 'durable pull consumer shared by all replicas',
  },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof serveOptions;

export const defaults = {
  host: '0.0.0.0',
  port: 8080,
  dataDir: './data',
  store: 'sqlite',
  databaseUrl: undefined,
  sync: 'full',
  sqliteWriter: 'worker',
  logLevel: 'info',
  // Proxies commonly drop a connection idle for 30-60 s; 15 s stays well under that.
  sseHeartbeatMs: 15_000,
  ...defaultLimits,
  publishKey: undefined,
  readKey: undefined,
  corsOrigin: undefined,
  instanceId: undefined,
  natsUrl: undefined,
  natsStream: 'EVENTS',
  natsSubject: 'events.>',
  natsDurable: 'aggregator',
} as const;

export { ConfigError };

/** JetStream stream and consumer names: no whitespace, dots, wildcards or path separators. */
const natsName = /^[A-Za-z0-9_-]{1,64}$/;

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
  const str = (name: OptionName, fallback: string): string => raw(name) ?? fallback;
  const int = (name: OptionName, fallback: number): number => {
    const text = raw(name);
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) {
      const spec = serveOptions[name];
      throw new ConfigError(`--${spec.flag} / ${spec.env} must be a non-negative integer, got "${text}"`);
    }
    return n;
  };
  const oneOf = <T extends string>(name: OptionName, fallback: T): T => {
    const spec: OptionSpec = serveOptions[name];
    const value = raw(name) ?? fallback;
    if (!spec.values?.includes(value)) {
      throw new ConfigError(
        `--${spec.flag} / ${spec.env} must be one of ${spec.values?.join(', ')}, got "${value}"`,
      );
    }
    return value as T;
  };

  const store = oneOf<StoreKind>('store', defaults.store);
  const databaseUrl = raw('databaseUrl') || undefined;
  if (store === 'postgres' && !databaseUrl) {
    throw new ConfigError('--store postgres needs --database-url or DATABASE_URL');
  }
  const port = int('port', defaults.port);
  if (port > 65535) throw new ConfigError(`--port / PORT must be at most 65535, got ${port}`);

  const limits: Limits = Object.freeze({
    bodyBytes: int('bodyBytes', defaults.bodyBytes),
    eventsPerRequest: int('eventsPerRequest', defaults.eventsPerRequest),
    payloadBytes: int('payloadBytes', defaults.payloadBytes),
    queueEvents: int('queueEvents', defaults.queueEvents),
    batchEvents: Math.max(1, int('batchEvents', defaults.batchEvents)),
    maxSubscribers: int('maxSubscribers', defaults.maxSubscribers),
    jsonDepth: Math.max(1, int('jsonDepth', defaults.jsonDepth)),
    ndjsonLineBytes: int('ndjsonLineBytes', defaults.ndjsonLineBytes),
    requestTimeoutMs: int('requestTimeoutMs', defaults.requestTimeoutMs),
    headersTimeoutMs: Math.max(1, int('headersTimeoutMs', defaults.headersTimeoutMs)),
    keepAliveTimeoutMs: Math.max(1, int('keepAliveTimeoutMs', defaults.keepAliveTimeoutMs)),
    socketTimeoutMs: int('socketTimeoutMs', defaults.socketTimeoutMs),
    rateLimit: int('rateLimit', defaults.rateLimit),
    rateWindowMs: Math.max(1, int('rateWindowMs', defaults.rateWindowMs)),
    errorDetails: defaults.errorDetails,
  });
  // Node refuses a headers timeout longer than the request timeout (it could never fire).
  if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      `--headers-timeout-ms (${limits.headersTimeoutMs}) must not exceed --request-timeout-ms (${limits.requestTimeoutMs})`,
    );
  }

  const natsUrl = raw('natsUrl') || undefined;
  const nats = natsUrl === undefined ? undefined : natsConfig(natsUrl, raw);

  return Object.freeze({
    host: str('host', defaults.host),
    port,
    dataDir: str('dataDir', defaults.dataDir),
    store,
    databaseUrl,
    sync: oneOf<SyncMode>('sync', defaults.sync),
    sqliteWriter: oneOf<SqliteWriter>('sqliteWriter', defaults.sqliteWriter),
    logLevel: oneOf('logLevel', defaults.logLevel),
    sseHeartbeatMs: Math.max(1, int('sseHeartbeatMs', defaults.sseHeartbeatMs)),
    limits,
    access: Object.freeze({
      publishKeys: keyList(raw('publishKey'), '--publish-key / PUBLISH_KEY'),
      readKeys: keyList(raw('readKey'), '--read-key / READ_KEY'),
    }),
    corsOrigins: originList(raw('corsOrigin'), '--cors-origin / CORS_ORIGIN'),
    // Port 0 picks a free port, so two such processes on one host need the pid to differ.
    instanceId: raw('instanceId') || `${hostname()}:${port === 0 ? `pid-${process.pid}` : port}`,
    nats,
  });
}

function natsConfig(url: string, raw: (name: OptionName) => string | undefined): NatsConfig {
  const stream = raw('natsStream') || defaults.natsStream;
  const durable = raw('natsDurable') || defaults.natsDurable;
  const subject = raw('natsSubject') || defaults.natsSubject;
  for (const [name, value] of [
    ['natsStream', stream],
    ['natsDurable', durable],
  ] as const) {
    if (!natsName.test(value)) {
      const spec = serveOptions[name];
      throw new ConfigError(
        `--${spec.flag} / ${spec.env} must be 1-64 letters, digits, "_" or "-", got "${value}"`,
      );
    }
  }
  if (/\s/.test(subject)) throw new ConfigError(`--nats-subject / NATS_SUBJECT must not contain spaces`);
  return Object.freeze({ url, stream, subject, durable });
}

/** `--help` text for `aggregator serve`, generated from the option table. */
export function serveHelp(): string {
  const options = Object.entries(serveOptions) as [OptionName, OptionSpec][];
  const flagWidth = Math.max(...options.map(([, o]) => o.flag.length + 2));
  const envWidth = Math.max(...options.map(([, o]) => o.env.length));
  const rows = options.map(([name, o]) => {
    const def = defaults[name];
    const choice = o.values ? ` (${o.values.join('|')})` : '';
    return `  ${`--${o.flag}`.padEnd(flagWidth)} ${o.env.padEnd(envWidth)} ${o.help}${choice}${def === undefined ? '' : ` [${def}]`}`;
  });
  const head = `  ${'flag'.padEnd(flagWidth)} ${'environment'.padEnd(envWidth)} meaning [default]`;
  return `Usage: aggregator serve [options]\n\n${head}\n${rows.join('\n')}\n`;
}
