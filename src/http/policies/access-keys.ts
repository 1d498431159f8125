/**
 * The configured API keys and the one question asked of them: which kinds
 * (publish, read) does a presented key hold?
 *
 * Comparison is constant-time: both sides are hashed with SHA-256 first, so
 * crypto.timingSafeEqual always compares 32 bytes and the time taken says
 * nothing about the length or any prefix of a configured key; every
 * configured key is compared, with no early exit, so it does not say which
 * list matched either. Only digests are kept in memory after start.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccessKeysConfig } from '../../config/access-options.js';

export type KeyKind = 'publish' | 'read';

type HeldKinds = Readonly<Record<KeyKind, boolean>>;

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

export class AccessKeys {
  readonly #keys: readonly { readonly kind: KeyKind; readonly digest: Buffer }[];
  readonly #guarded: HeldKinds;

  constructor(config: AccessKeysConfig) {
    this.#keys = [
      ...config.publishKeys.map((key) => ({ kind: 'publish' as const, digest: digest(key) })),
      ...config.readKeys.map((key) => ({ kind: 'read' as const, digest: digest(key) })),
    ];
    this.#guarded = { publish: config.publishKeys.length > 0, read: config.readKeys.length > 0 };
  }

  /** Whether this kind needs a key at all (a kind without configured keys is open). */
  guards(kind: KeyKind): boolean {
    return this.#guarded[kind];
  }

  /** The kinds a presented key holds; both false for an unknown key. */
  held(presented: string): HeldKinds {
    const candidate = digest(presented);
    let publish = false;
    let read = false;
    for (const key of this.#keys) {
      const same = timingSafeEqual(candidate, key.digest);
      if (key.kind === 'publish') publish ||= same;
      else read ||= same;
    }
    return { publish, read };
  }
}
