/**
 * Retention: how long event bodies are kept. Off unless a limit is given;
 * with both, an event goes when either says so. Keys are never pruned, so
 * dedup stays permanent (see src/retention/pruner.ts and the README).
 */
import { ConfigError } from './config-error.js';
import type { OptionSpec } from './option-spec.js';
import { parseSize } from './size.js';

export interface RetentionConfig {
  /** Bodies received longer ago than this many days are pruned. */
  readonly days: number | undefined;
  /** While the store holds more than this many bytes, the oldest bodies are pruned. */
  readonly bytes: number | undefined;
}

export const retentionOptions = {
  retainDays: {
    flag: 'retain-days',
    env: 'RETAIN_DAYS',
    kind: 'string',
    help: 'prune event bodies received more than N days ago (decimals allowed); keys stay (off when unset)',
  },
  retainBytes: {
    flag: 'retain-bytes',
    env: 'RETAIN_BYTES',
    kind: 'string',
    help: 'prune the oldest event bodies while the store is larger than SIZE (500MB, 2GiB); keys stay (off when unset)',
  },
} as const satisfies Record<string, OptionSpec>;

/** The retention policy, or undefined when neither limit is set; throws ConfigError naming a bad option. */
export function retentionConfig(
  raw: (name: keyof typeof retentionOptions) => string | undefined,
): RetentionConfig | undefined {
  const daysText = raw('retainDays') || undefined;
  const bytesText = raw('retainBytes') || undefined;
  if (daysText === undefined && bytesText === undefined) return undefined;
  let days: number | undefined;
  if (daysText !== undefined) {
    days = Number(daysText);
    if (!/^\d+(\.\d+)?$/.test(daysText.trim()) || !(days > 0)) {
      throw new ConfigError(
        `--retain-days / RETAIN_DAYS must be a positive number of days, got "${daysText}"`,
      );
    }
  }
  let bytes: number | undefined;
  if (bytesText !== undefined) {
    bytes = parseSize(bytesText);
    if (bytes === undefined) {
      throw new ConfigError(
        `--retain-bytes / RETAIN_BYTES must be a size such as 500MB, 2GiB or 1048576, got "${bytesText}"`,
      );
    }
  }
  return Object.freeze({ days, bytes });
}
