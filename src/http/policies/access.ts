/**
 * Access control: every route declares who may call it with
 * `config: { access: 'publish' | 'read' | 'open' }`, and an onRequest hook of
 * that route enforces it before the body is read. A route that declares nothing needs a
 * READ key: a route added later is protected by default, never open by
 * accident. Unknown routes still answer 404/405.
 *
 * Keys are kinds (SPEC "Access control"): a publish key may only publish, a
 * read key may only read; to let one client do both, give it one of each or
 * list the same key under both. A kind with no key configured is open.
 *
 * Clients send `Authorization: Bearer <key>` (RFC 6750 §2.1). No key → 401
 * with `WWW-Authenticate: Bearer`; an unknown key → 401 `invalid_token`; a
 * valid key of the wrong kind → 403 `insufficient_scope` (RFC 6750 §3.1).
 */
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { AccessKeysConfig } from '../../config/access-options.js';
import { HttpError } from '../errors.js';
import { AccessKeys, type KeyKind } from './access-keys.js';

/** Who may call a route: holders of a publish key, holders of a read key, or anyone. */
export type Access = KeyKind | 'open';

/** One row of the access table: a route and who may call it. */
export interface RouteAccess {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (see src/http/policies/access.ts); unset means 'read'. */
    access?: Access;
  }
  interface FastifyInstance {
    /** Every route registered so far with who may call it (for the startup log and the tests). */
    readonly accessTable: readonly RouteAccess[];
  }
}

/**
 * Routes that also take the key as an `access_token` query parameter (RFC 6750
 * §2.3): EventSource cannot send headers. The price: URLs end up in access
 * logs and browser history, so the header stays the way for everything else.
 */
export const queryTokenRoutes: ReadonlySet<string> = new Set(['/subscribe']);

const realm = 'Bearer realm="aggregator"';

function unauthorized(message: string, error?: 'invalid_token'): HttpError {
  const challenge = error === undefined ? realm : `${realm}, error="${error}"`;
  return new HttpError('AGG_ERR_UNAUTHORIZED', message, undefined, { 'www-authenticate': challenge });
}

/** The presented key: the Bearer credentials, or `access_token` where the route allows it. */
function presentedKey(request: FastifyRequest, queryToken: boolean): string | undefined {
  const fromQuery = takeQueryToken(request, queryToken);
  const header = request.headers.authorization;
  if (header !== undefined) {
    // The scheme is case-insensitive (RFC 9110 §11.1); another scheme counts as no key at all.
    const match = /^bearer[ \t]+(.*)$/i.exec(header);
    return match?.[1]?.trim();
  }
  return fromQuery;
}

/** Removes `access_token` from the query, so no handler sees, validates or echoes it (e.g. in Link). */
function takeQueryToken(request: FastifyRequest, allowed: boolean): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  if (query === undefined || typeof query !== 'object' || !Object.hasOwn(query, 'access_token')) {
    return undefined;
  }
  const token = query.access_token;
  delete query.access_token;
  return allowed && request.method === 'GET' && typeof token === 'string' ? token : undefined;
}

/**
 * The check of one route, attached to it as its own onRequest hook (so a
 * request to an unguarded route runs no access code at all). It reads the
 * route's tag at the first request: an onRoute hook of an inner scope (e.g.
 * the one marking the API docs open) may still set it after this one ran.
 */
function guardFor(keys: AccessKeys, route: RouteOptions): onRequestHookHandler {
  const queryToken = queryTokenRoutes.has(route.url);
  let needed: Access | undefined;
  return (request, _reply, done) => {
    needed ??= (route.config as { access?: Access } | undefined)?.access ?? 'read';
    if (needed === 'open' || !keys.guards(needed)) {
      takeQueryToken(request, queryToken);
      return done();
    }
    const key = presentedKey(request, queryToken);
    if (key === undefined || key === '') {
      return done(unauthorized(`this route needs a ${needed} key: send Authorization: Bearer <key>`));
    }
    const held = keys.held(key);
    if (!held.publish && !held.read) return done(unauthorized('the key is not valid', 'invalid_token'));
    if (!held[needed]) {
      return done(
        new HttpError('AGG_ERR_FORBIDDEN', `this key may not ${needed}`, undefined, {
          'www-authenticate': `${realm}, error="insufficient_scope"`,
        }),
      );
    }
    done();
  };
}

async function accessPlugin(app: FastifyInstance, options: AccessKeysConfig): Promise<void> {
  const keys = new AccessKeys(options);
  const anyKey = keys.guards('publish') || keys.guards('read');
  const table: RouteAccess[] = [];
  app.decorate('accessTable', table);
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    for (const method of methods) {
      table.push({
        method,
        url: route.url,
        // Read when asked, not now: an inner scope's onRoute hook may still set the tag.
        get access() {
          return (route.config as { access?: Access } | undefined)?.access ?? 'read';
        },
      });
    }
    // With no key configured every route is open: only a query (GET, HEAD) can carry a token to remove.
    if (!anyKey && !methods.some((m) => m === 'GET' || m === 'HEAD')) return;
    route.onRequest = [...[route.onRequest ?? []].flat(), guardFor(keys, route)];
  });
}

export default fp(accessPlugin, {
  name: 'aggregator-access',
  fastify: '5.x',
  // Last of the request policies: a request refused earlier never has its key checked.
  dependencies: ['aggregator-rate-limit'],
});
