#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * The `aggregator` command: serve | publish | bench. Each command's module is
 * imported when it runs, so the server does not carry the load generator's
 * HTTP client, nor the publisher the server.
 *
 * Exit codes: 0 done, 1 failed (one line on stderr saying why), 2 a flag or
 * variable is wrong (one line naming it), 130 interrupted (Ctrl-C).
 */
import { ConfigError } from '../config/config-error.js';
import { serveHelp } from '../config/serve-help.js';
import { version } from '../version.js';
import { CliError } from './cli-error.js';

const usage = `Usage: aggregator <command> [options]

Commands:
  serve     run the aggregator (HTTP on 127.0.0.1:8080, SQLite under ./data by default)
  publish   send events at least once: generated (with deliberate duplicates) or from NDJSON
  bench     the standard load against a fresh server, verified against /stats

Run "aggregator <command> --help" for the options of one command.
"aggregator --version" prints the version.
`;

const [command, ...args] = process.argv.slice(2);
const wantsHelp = args.includes('--help') || args.includes('-h');

try {
  switch (command) {
    case 'serve':
      if (wantsHelp) process.stdout.write(serveHelp());
      else await (await import('./serve.js')).serve(args, process.env);
      break;
    case 'publish': {
      const { publish, publishUsage } = await import('./publish.js');
      if (wantsHelp) process.stdout.write(publishUsage);
      else process.exitCode = await publish(args, process.env);
      break;
    }
    case 'bench': {
      const { bench, benchUsage } = await import('./bench.js');
      if (wantsHelp) process.stdout.write(benchUsage);
      else process.exitCode = await bench(args, process.env);
      break;
    }
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`${version}\n`);
      break;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(usage);
      break;
    default:
      process.stderr.write(`aggregator: unknown command "${command}"\n\n${usage}`);
      process.exitCode = 2;
  }
} catch (err) {
  const usageError = err instanceof ConfigError || isParseArgsError(err);
  const expected = usageError || err instanceof CliError;
  const message = isParseArgsError(err) ? parseArgsMessage(err as Error) : (err as Error).message;
  process.stderr.write(`aggregator ${command}: ${message}\n`);
  // A stack only for what nobody expected: that is a bug to report.
  if (!expected) process.stderr.write(`${(err as Error).stack}\n`);
  // Exit now: whatever failed may have left a handle (a socket, a worker) that would keep the process alive.
  process.exit(usageError ? 2 : 1);
}

function isParseArgsError(err: unknown): boolean {
  return (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
}

/** node:util parseArgs explains positional arguments at length; the first sentence names the flag. */
function parseArgsMessage(err: Error): string {
  const first = err.message.split('\n')[0].split('. ')[0].replace(/\.$/, '');
  return `${first}; see "aggregator ${command} --help"`;
}
