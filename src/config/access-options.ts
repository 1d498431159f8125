/**
 * Parsing of the list-valued access options: API keys (`--publish-key`,
 * `--read-key`) and CORS origins (`--cors-origin`), each comma-separated.
 * Bad entries are refused at startup, naming the option but never echoing a
 * key: error output ends up in logs.
 */
import { ConfigError } from './config-error.js';
import type { OptionSpec } from './option-spec.js';

export const accessOptions = {
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
} as const satisfies Record<string, OptionSpec>;

/** API keys per kind; a kind with no keys is open (see src/http/policies/access.ts). */
export interface AccessKeysConfig {
  readonly publishKeys: readonly string[];
  readonly readKeys: readonly string[];
}

/** RFC 6750 §2.1 b64token: what can follow `Bearer ` in an Authorization header. */
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/;

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** Keys, each sendable as a Bearer token; `option` names the flag / variable in errors. */
export function keyList(text: string | undefined, option: string): string[] {
  const keys = list(text);
  if (keys.some((key) => !b64token.test(key))) {
    throw new ConfigError(
      `${option}: a key may only hold letters, digits and -._~+/ (then =), as a Bearer token`,
    );
  }
  return Object.freeze(keys) as string[];
}

/** `*` or origins as browsers send them in the Origin header (`scheme://host[:port]`). */
export function originList(text: string | undefined, option: string): string[] {
  const origins = list(text);
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {}
    if (parsed?.origin !== origin) {
      throw new ConfigError(`${option}: "${origin}" is not an origin like https://app.example.com (or *)`);
    }
  }
  return Object.freeze(origins) as string[];
}
