/**
 * Every `serve` option, the single source for parsing (config.ts), `--help`
 * (serve-help.ts) and the README's option table (a test checks that it lists
 * each one). Limits, retention, access and NATS options are declared beside the code
 * that reads them and joined here.
 */
import { accessOptions } from './access-options.js';
import { limitOptions } from './limits.js';
import { natsOptions } from './nats-options.js';
import type { OptionSpec } from './option-spec.js';
import { retentionOptions } from './retention-options.js';

const generalOptions = {
  host: {
    flag: 'host',
    env: 'HOST',
    kind: 'string',
    help: 'interface to listen on (0.0.0.0: every interface, as the container does)',
    // Loopback unless asked: with access control off by default, the network must opt in.
    default: '127.0.0.1',
  },
  port: { flag: 'port', env: 'PORT', kind: 'int', help: 'TCP port (0 picks a free one)', default: 8080 },
  dataDir: {
    flag: 'data-dir',
    env: 'DATA_DIR',
    kind: 'string',
    help: 'where the SQLite database lives',
    default: './data',
  },
  store: {
    flag: 'store',
    env: 'STORE',
    kind: 'enum',
    values: ['sqlite', 'postgres'],
    help: 'storage engine',
    default: 'sqlite',
  },
  databaseUrl: { flag: 'database-url', env: 'DATABASE_URL', kind: 'string', help: 'PostgreSQL URL' },
  sync: {
    flag: 'sync',
    env: 'SQLITE_SYNC',
    kind: 'enum',
    values: ['full', 'normal'],
    help: 'SQLite fsync policy: full = fsync every commit (durable); normal = may lose the last commits on power loss (never on kill -9)',
    default: 'full',
  },
  sqliteWriter: {
    flag: 'sqlite-writer',
    env: 'SQLITE_WRITER',
    kind: 'enum',
    values: ['worker', 'inline'],
    help: 'worker = commit in a writer thread, overlapping HTTP work (faster); inline = on the event loop',
    default: 'worker',
  },
  instanceId: {
    flag: 'instance-id',
    env: 'INSTANCE_ID',
    kind: 'string',
    help: "names this replica's counter rows in PostgreSQL; keep it stable per replica (default hostname:port)",
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    help: 'pino log level',
    default: 'info',
  },
  acceptedStatus: {
    flag: 'accepted-status',
    env: 'ACCEPTED_STATUS',
    kind: 'enum',
    values: ['200', '202'],
    help: "status of a successful publish; 202 adds queued_count, for the original service's clients (still sent after commit)",
    default: '200',
  },
  sseHeartbeatMs: {
    flag: 'sse-heartbeat-ms',
    env: 'SSE_HEARTBEAT_MS',
    kind: 'int',
    help: 'idle /subscribe streams get a heartbeat comment this often (ms)',
    // Proxies commonly drop a connection idle for 30-60 s; 15 s stays well under that.
    default: 15_000,
    atLeast: 1,
  },
} as const satisfies Record<string, OptionSpec>;

export const serveOptions = {
  ...generalOptions,
  ...limitOptions,
  ...retentionOptions,
  ...accessOptions,
  ...natsOptions,
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof serveOptions;
