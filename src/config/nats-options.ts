/**
 * The JetStream source's options and their checks. The source is off unless
 * a NATS URL is given; the names must be usable as JetStream stream and
 * consumer names.
 */
import { ConfigError } from './config-error.js';
import type { OptionSpec } from './option-spec.js';

export interface NatsConfig {
  readonly url: string;
  readonly stream: string;
  readonly subject: string;
  readonly durable: string;
}

export const natsOptions = {
  natsUrl: {
    flag: 'nats-url',
    env: 'NATS_URL',
    kind: 'string',
    help: 'consume events from NATS JetStream at this URL (off when unset)',
  },
  natsStream: {
    flag: 'nats-stream',
    env: 'NATS_STREAM',
    kind: 'string',
    help: 'JetStream stream to consume',
    default: 'EVENTS',
  },
  natsSubject: {
    flag: 'nats-subject',
    env: 'NATS_SUBJECT',
    kind: 'string',
    help: 'subject filter of the consumer (and of the stream if it is created)',
    default: 'events.>',
  },
  natsDurable: {
    flag: 'nats-durable',
    env: 'NATS_DURABLE',
    kind: 'string',
    help: 'durable pull consumer shared by all replicas',
    default: 'aggregator',
  },
} as const satisfies Record<string, OptionSpec>;

/** JetStream stream and consumer names: no whitespace, dots, wildcards or path separators. */
const natsName = /^[A-Za-z0-9_-]{1,64}$/;

/** The source's settings, or undefined when no URL is given; throws ConfigError naming a bad option. */
export function natsConfig(
  raw: (name: keyof typeof natsOptions) => string | undefined,
): NatsConfig | undefined {
  const url = raw('natsUrl') || undefined;
  if (url === undefined) return undefined;
  const stream = raw('natsStream') || natsOptions.natsStream.default;
  const durable = raw('natsDurable') || natsOptions.natsDurable.default;
  const subject = raw('natsSubject') || natsOptions.natsSubject.default;
  for (const [name, value] of [
    ['natsStream', stream],
    ['natsDurable', durable],
  ] as const) {
    if (!natsName.test(value)) {
      const spec = natsOptions[name];
      throw new ConfigError(
        `--${spec.flag} / ${spec.env} must be 1-64 letters, digits, "_" or "-", got "${value}"`,
      );
    }
  }
  if (/\s/.test(subject)) throw new ConfigError(`--nats-subject / NATS_SUBJECT must not contain spaces`);
  return Object.freeze({ url, stream, subject, durable });
}
