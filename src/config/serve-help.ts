/** `--help` text for `aggregator serve`, generated from the option table. */
import type { OptionSpec } from './option-spec.js';
import { serveOptions } from './serve-options.js';

export function serveHelp(): string {
  const options: OptionSpec[] = Object.values(serveOptions);
  const flagWidth = Math.max(...options.map((o) => o.flag.length + 2));
  const envWidth = Math.max(...options.map((o) => o.env.length));
  const rows = options.map((o) => {
    const choice = o.values ? ` (${o.values.join('|')})` : '';
    const def = o.default === undefined ? '' : ` [${o.default}]`;
    return `  ${`--${o.flag}`.padEnd(flagWidth)} ${o.env.padEnd(envWidth)} ${o.help}${choice}${def}`;
  });
  const head = `  ${'flag'.padEnd(flagWidth)} ${'environment'.padEnd(envWidth)} meaning [default]`;
  return `Usage: aggregator serve [options]\n\n${head}\n${rows.join('\n')}\n`;
}
