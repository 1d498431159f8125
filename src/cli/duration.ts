/** `90s`, `5m`, `1.5h`, `500ms` → milliseconds; a bare number is seconds. ConfigError naming the flag otherwise. */
import { ConfigError } from '../config/config-error.js';

const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * unitMs[match[2] ?? 's'] : Number.NaN;
  if (!(ms > 0) || !Number.isFinite(ms))
    throw new ConfigError(`${flag} must be a duration such as 30s, 5m or 1h, got "${text}"`);
  return ms;
}
