/**
 * `aggregator publish`: an at-least-once publisher. Either generates
 * `--events` deliveries with `--dup-rate` of them deliberate re-sends, or
 * sends the events of an NDJSON file (`--file`, `-` for stdin) after checking
 * every line with the server's schema. Posts them in batches over
 * `--concurrency` connections, resends anything not acknowledged (backoff,
 * Retry-After) at most `--max-retries` times, printing each resend on stderr,
 * and prints what the server reported. Ctrl-C or `--deadline` stops the run
 * with the totals so far.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { eventsFromNdjson, InvalidFileError } from '../loadgen/event-file.js';
import { LoadPlan } from '../loadgen/load-plan.js';
import {
  GaveUpError,
  quantile,
  RejectedError,
  type Retry,
  type SendReport,
  send,
  UnreachableError,
} from '../loadgen/sender.js';
import { CliError } from './cli-error.js';
import { parseDuration } from './duration.js';
import { baseUrl, integer, number } from './flag-values.js';
import { progressBar } from './progress.js';

export const publishUsage = `Usage: aggregator publish [options]
  --url URL           aggregator base URL                   [http://127.0.0.1:8080]
  --events N          deliveries to send, duplicates included [10000]
  --dup-rate R        fraction of deliveries that are re-sends [0.25]
  --batch N           events per request (1 sends a bare event) [100]
  --concurrency N     parallel connections                  [8]
  --topics N          distinct topics                       [5]
  --run-id ID         event_id prefix; reuse it to resend the same events [random]
  --file F            send the events of NDJSON file F ("-": standard input) instead
                      of generated ones; every line is checked first, a bad one
                      is named by its number and nothing is sent
  --key KEY           publish key (Authorization: Bearer)   [PUBLISH_KEY]
  --gzip              compress each request body (Content-Encoding: gzip)
  --timeout-ms N      per attempt before it counts as failed [30000]
  --max-retries N     resends of one request before giving up [20]
  --deadline D        give up on the run after D (e.g. 90s, 5m, 1h) [none]
  --wait              wait for a server that is not up yet (else: exit 1 at once)
  --json              print the summary as one JSON line
Resends are printed on stderr. Exit codes: 0 all acknowledged, 1 failed or
deadline passed, 2 bad option, 130 interrupted (Ctrl-C).
`;

/** Options `publish` and `bench` share. */
export const loadFlags = {
  url: { type: 'string', default: 'http://127.0.0.1:8080' },
  events: { type: 'string', default: '10000' },
  'dup-rate': { type: 'string', default: '0.25' },
  batch: { type: 'string', default: '100' },
  concurrency: { type: 'string', default: '8' },
  topics: { type: 'string', default: '5' },
  'run-id': { type: 'string' },
  key: { type: 'string' },
  'timeout-ms': { type: 'string', default: '30000' },
  json: { type: 'boolean', default: false },
  gzip: { type: 'boolean', default: false },
} as const;

export const publishFlags = {
  ...loadFlags,
  file: { type: 'string' },
  'max-retries': { type: 'string', default: '20' },
  deadline: { type: 'string' },
  wait: { type: 'boolean', default: false },
} as const;

/** Flags that shape generated events; meaningless with --file. */
const generatorFlags = ['events', 'dup-rate', 'topics', 'run-id'] as const;

export function planFrom(values: Record<string, unknown>): LoadPlan {
  const dupRate = number(values, 'dup-rate');
  if (dupRate >= 1) throw new ConfigError(`--dup-rate must be below 1, got "${values['dup-rate']}"`);
  return new LoadPlan({
    events: integer(values, 'events'),
    dupRate,
    batch: Math.max(1, integer(values, 'batch')),
    topics: Math.max(1, integer(values, 'topics')),
    runId: (values['run-id'] as string | undefined) ?? randomBytes(6).toString('hex'),
  });
}

/** What is sent: request bodies, how many events in all, and how they were made. */
interface Load {
  readonly batches: number;
  readonly events: number;
  body(k: number): string;
  readonly describe: Record<string, unknown>;
}

function generated(plan: LoadPlan): Load {
  return {
    batches: plan.batches,
    events: plan.options.events,
    body: (k) => plan.body(k),
    describe: { run_id: plan.options.runId, planned_duplicates: plan.duplicates },
  };
}

async function fromFile(file: string, batch: number): Promise<Load> {
  let content: string;
  try {
    content = file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`--file ${file}: ${(err as Error).message}`);
  }
  let events: string[];
  try {
    events = eventsFromNdjson(content);
  } catch (err) {
    if (err instanceof InvalidFileError)
      throw new CliError(`--file ${file === '-' ? 'stdin' : file} ${err.message}`);
    throw err;
  }
  const slice = (k: number) => events.slice(k * batch, (k + 1) * batch);
  return {
    batches: Math.ceil(events.length / batch),
    events: events.length,
    // The lines as written (already checked); one event alone is sent bare, like the generator does.
    body: (k) => (batch === 1 ? slice(k)[0] : `[${slice(k).join(',')}]`),
    describe: { file: file === '-' ? 'stdin' : file },
  };
}

export async function publish(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, tokens } = parseArgs({
    args: [...argv],
    options: publishFlags,
    strict: true,
    tokens: true,
  });
  const url = baseUrl(values.url);
  const batch = Math.max(1, integer(values, 'batch'));
  const concurrency = Math.max(1, integer(values, 'concurrency'));
  const timeoutMs = number(values, 'timeout-ms');
  const maxRetries = integer(values, 'max-retries');
  const deadlineMs = values.deadline === undefined ? undefined : parseDuration(values.deadline, '--deadline');
  let load: Load;
  if (values.file !== undefined) {
    const given = tokens.filter((t) => t.kind === 'option').map((t) => t.name);
    const clash = generatorFlags.find((f) => given.includes(f));
    if (clash) throw new ConfigError(`--${clash} makes no sense with --file: the file says what is sent`);
    load = await fromFile(values.file, batch);
  } else {
    load = generated(planFrom(values));
  }
  const key = values.key ?? env.PUBLISH_KEY;
  const bar = progressBar(load.events, 'publishing');
  const stop = new AbortController();
  const interrupt = () => stop.abort(new Error('interrupted (Ctrl-C)'));
  process.once('SIGINT', interrupt);
  const deadline =
    deadlineMs === undefined
      ? undefined
      : setTimeout(() => stop.abort(new Error(`deadline of ${values.deadline} passed`)), deadlineMs);
  let report: SendReport;
  try {
    report = await send({
      url,
      concurrency,
      batches: load.batches,
      body: (k) => load.body(k),
      headers: key ? { authorization: `Bearer ${key}` } : {},
      gzip: values.gzip,
      timeoutMs,
      maxRetries,
      waitForServer: values.wait,
      signal: stop.signal,
      onProgress: bar.update,
      onRetry: (retry) => bar.note(retryLine(retry, maxRetries)),
    });
  } catch (err) {
    throw explain(err, key !== undefined);
  } finally {
    bar.finish();
    process.off('SIGINT', interrupt);
    clearTimeout(deadline);
  }
  printSummary(load, report, values.json);
  if (report.stopped === undefined) return 0;
  process.stderr.write(
    `aggregator publish: ${report.stopped}: ${report.events} of ${load.events} events acknowledged` +
      (report.unconfirmed > 0
        ? `; ${report.unconfirmed} requests in flight may or may not have been stored (sending them again is safe: duplicates are dropped)`
        : '') +
      '\n',
  );
  return report.stopped.startsWith('interrupted') ? 130 : 1;
}

function retryLine(retry: Retry, maxRetries: number): string {
  return `aggregator publish: request ${retry.batch + 1}: ${retry.cause}, resending (retry ${retry.attempt} of ${maxRetries}) in ${(retry.waitMs / 1000).toFixed(1)} s`;
}

/** A send failure as one line naming its cause and what to do. */
function explain(err: unknown, hasKey: boolean): unknown {
  if (err instanceof UnreachableError)
    return new CliError(
      `${err.message}: is the aggregator running there? --url names it; --wait waits for it to come up`,
    );
  if (err instanceof GaveUpError)
    return new CliError(`gave up: ${err.message}; --max-retries and --deadline bound the retries`);
  if (err instanceof RejectedError) {
    if (err.status === 401)
      return new CliError(
        hasKey
          ? 'the server did not accept the publish key (HTTP 401): check --key / PUBLISH_KEY'
          : 'the server requires a publish key (HTTP 401): pass --key or set PUBLISH_KEY',
      );
    if (err.status === 403)
      return new CliError(
        'the server refused this key for publishing (HTTP 403): --key / PUBLISH_KEY must be one of its publish keys',
      );
    return new CliError(`the server rejected a request: ${serverError(err)}`);
  }
  return err;
}

function serverError(err: RejectedError): string {
  try {
    const body = JSON.parse(err.body) as { error?: string; message?: string };
    if (body.error) return `HTTP ${err.status} ${body.error}: ${body.message ?? ''}`.trim();
  } catch {
    // not JSON: shown as it came
  }
  return `HTTP ${err.status}: ${err.body.slice(0, 200).replaceAll('\n', ' ')}`;
}

function printSummary(load: Load, report: SendReport, json: boolean): void {
  const summary = {
    ...load.describe,
    sent_events: load.events,
    acknowledged_events: report.events,
    requests: report.requests,
    stored: report.stored,
    duplicates: report.duplicates,
    conflicts: report.conflicts,
    retries: report.retries,
    seconds: Number(report.seconds.toFixed(3)),
    events_per_second: Math.round(report.events / report.seconds),
    latency_ms: {
      p50: Number(quantile(report.latenciesMs, 0.5).toFixed(2)),
      p99: Number(quantile(report.latenciesMs, 0.99).toFixed(2)),
    },
    ...(report.stopped === undefined
      ? {}
      : { stopped: report.stopped, unconfirmed_requests: report.unconfirmed }),
  };
  if (json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const retried = Object.values(report.retries).reduce((a, b) => a + b, 0);
  const what =
    'file' in load.describe
      ? `from ${load.describe.file}`
      : `(${load.describe.planned_duplicates} planned re-sends), run ${load.describe.run_id}`;
  console.log(
    [
      `acknowledged ${report.events} of ${load.events} events ${what}, in ${report.requests} requests`,
      `server: ${report.stored} stored, ${report.duplicates} duplicates dropped, ${report.conflicts} conflicts`,
      `retries: ${retried}${retried ? ` ${JSON.stringify(report.retries)}` : ''}`,
      `${summary.seconds}s, ${summary.events_per_second} events/s, latency p50 ${summary.latency_ms.p50} ms, p99 ${summary.latency_ms.p99} ms`,
    ].join('\n'),
  );
}
