/**
 * What the OpenAPI document says about each operation beyond its route
 * schema: who may call it and which errors it can answer. Both are derived
 * from the facts the server acts on, so the document cannot drift from them:
 *
 * - Security comes from the route's `access` tag (policies/access.ts) and
 *   the configured keys: a read route needs the read key only when read keys
 *   are configured, exactly as the access hook decides.
 * - Error answers come from the one error table (errors.ts): each route
 *   declares the codes its own handler can raise (`config.errors`); the
 *   request policies add theirs (401/403 where a key is checked, 429 where
 *   the rate limit counts, 503 while draining, 400 for a bad query string).
 */
import type { RouteOptions } from 'fastify';
import { type ErrorCode, errorStatus } from '../errors.js';
import { type Access, queryTokenRoutes } from '../policies/access.js';
import type { KeyKind } from '../policies/access-keys.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The error codes this route's handler can answer with (documented in OpenAPI). */
    errors?: readonly ErrorCode[];
  }
}

export interface RequestPolicies {
  /** Which key kinds are checked (a kind with no configured key is open). */
  readonly guarded: Readonly<Record<KeyKind, boolean>>;
  /** Whether the per-client rate limit is on (it counts every route that is not open). */
  readonly rateLimited: boolean;
}

/** The security schemes, one per key kind, so Swagger UI's Authorize sends the right key to each route. */
export const securitySchemes = {
  publishKey: {
    type: 'http',
    scheme: 'bearer',
    description: 'A publish key (`--publish-key` / `PUBLISH_KEY`): `Authorization: Bearer <key>`.',
  },
  readKey: {
    type: 'http',
    scheme: 'bearer',
    description: 'A read key (`--read-key` / `READ_KEY`): `Authorization: Bearer <key>`.',
  },
  readKeyQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'access_token',
    description: 'The read key as a query parameter, for EventSource clients (GET /subscribe only).',
  },
} as const;

/** The error body, every code of the error table in its enum (a component named `Error`). */
export const errorBodySchema = {
  $id: 'Error',
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', enum: Object.keys(errorStatus), description: 'branch on this' },
    message: { type: 'string', description: 'for people; may change' },
    details: {
      type: 'array',
      description: 'what was wrong, e.g. `{index, field, message}` per refused event',
      items: { type: 'object', additionalProperties: true },
    },
  },
} as const;

type Responses = Record<string, unknown>;

/** The codes a route can answer, its own and those of the request policies. */
export function errorCodesOf(
  route: Pick<RouteOptions, 'url' | 'config' | 'schema'>,
  policies: RequestPolicies,
) {
  const access: Access = route.config?.access ?? 'read';
  const codes = new Set<ErrorCode>(route.config?.errors ?? []);
  if (route.schema?.querystring !== undefined) codes.add('AGG_ERR_BAD_REQUEST');
  if (access !== 'open' && policies.rateLimited) codes.add('AGG_ERR_RATE_LIMITED');
  if (access !== 'open' && policies.guarded[access]) {
    codes.add('AGG_ERR_UNAUTHORIZED');
    codes.add('AGG_ERR_FORBIDDEN');
  }
  codes.add('AGG_ERR_INTERNAL');
  codes.add('AGG_ERR_SHUTTING_DOWN');
  return codes;
}

/** The security requirement of a route: its key kind when that kind is guarded, else none. */
export function securityOf(route: Pick<RouteOptions, 'url' | 'config'>, policies: RequestPolicies) {
  const access: Access = route.config?.access ?? 'read';
  if (access === 'open' || !policies.guarded[access]) return [];
  const scheme = access === 'publish' ? 'publishKey' : 'readKey';
  return queryTokenRoutes.has(route.url) ? [{ [scheme]: [] }, { readKeyQuery: [] }] : [{ [scheme]: [] }];
}

/** The error answers, grouped by status, each naming its codes; a status the route documents itself is kept. */
export function errorResponses(codes: Iterable<ErrorCode>, own: Responses = {}): Responses {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorStatus[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Responses = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    if (own[status] !== undefined) continue;
    out[status] = {
      description: `\`error\`: ${list.map((c) => `\`${c}\``).join(', ')}`,
      content: { 'application/json': { schema: { $ref: 'Error#' } } },
    };
  }
  return out;
}
