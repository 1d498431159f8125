/**
 * Reading the load commands' flag values (`publish`, `bench`): each a
 * ConfigError naming the flag when it is not what it must be.
 */
import { ConfigError } from '../config/config-error.js';

export function number(values: Record<string, unknown>, name: string): number {
  const n = Number(values[name]);
  if (values[name] === '' || !Number.isFinite(n) || n < 0)
    throw new ConfigError(`--${name} must be a non-negative number, got "${values[name]}"`);
  return n;
}

export function integer(values: Record<string, unknown>, name: string): number {
  const n = number(values, name);
  if (!Number.isSafeInteger(n))
    throw new ConfigError(`--${name} must be a whole number, got "${values[name]}"`);
  return n;
}

/** The base URL of an aggregator; ConfigError naming --url unless it is http(s). */
export function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      `--url must be an http:// or https:// URL such as http://127.0.0.1:8080, got "${value}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`--url must be an http:// or https:// URL, got "${value}"`);
  return url.href;
}
