#!/usr/bin/env node
/**
 * The `aggregator` command: serve | publish | bench. Each command's module is
 * imported when it runs, so the server does not carry the load generator's
 * HTTP client, nor the publisher the server.
 */
import { ConfigError } from '../config/config-error.js';
import { serveHelp } from '../config/serve-help.js';

const usage = `Usage: aggregator <command> [options]

Commands:
  serve     run the aggregator (HTTP on :8080, SQLite under ./data by default)
  publish   send events at least once, with deliberate duplicates
  bench     the standard load against a fresh server, verified against /stats

Run "aggregator <command> --help" for the options of one command.
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
      else await publish(args, process.env);
      break;
    }
    case 'bench': {
      const { bench, benchUsage } = await import('./bench.js');
      if (wantsHelp) process.stdout.write(benchUsage);
      else process.exitCode = await bench(args, process.env);
      break;
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(usage);
      break;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${usage}`);
      process.exitCode = 2;
  }
} catch (err) {
  const known = err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`aggregator ${command}: ${(err as Error).message}\n`);
  if (!known) process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = known ? 2 : 1;
}
