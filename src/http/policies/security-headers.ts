/**
 * Security headers on every response. Four headers cover what this service
 * needs, so a small hook does it instead of @fastify/helmet, whose defaults
 * (HSTS, COEP/COOP/CORP, …) are choices for a TLS web site, not for an API
 * that is often served over plain HTTP behind a proxy.
 *
 * - `X-Content-Type-Options: nosniff`: a JSON body (which carries producer
 *   text) is never sniffed into HTML or script.
 * - `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no framing
 *   (clickjacking), old and new browsers.
 * - `Referrer-Policy: no-referrer`: a URL (maybe with a topic or a key) never
 *   leaks to another site.
 * - `Content-Security-Policy`: HTML pages get a strict policy (same-origin
 *   scripts, styles and connections only; no inline code, no eval, no forms,
 *   no plugins); everything else gets `default-src 'none'` (OWASP REST
 *   guidance), since a JSON or text response never needs to load anything. A
 *   route that sets its own policy keeps it.
 *
 * The first three are set on the raw response as the request arrives, so
 * they are on every answer, including streams that write to the socket
 * themselves (SSE) and errors.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const pageCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export const apiCsp = "default-src 'none'; frame-ancestors 'none'";

async function securityHeaders(app: FastifyInstance): Promise<void> {
  // Callback hooks, not async ones: these run on every request, and an async hook costs a promise each.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    reply.raw.setHeader('x-frame-options', 'DENY');
    reply.raw.setHeader('referrer-policy', 'no-referrer');
    done();
  });

  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('content-security-policy') && !reply.raw.hasHeader('content-security-policy')) {
      const type = reply.getHeader('content-type');
      const html = typeof type === 'string' && type.startsWith('text/html');
      reply.header('content-security-policy', html ? pageCsp : apiCsp);
    }
    done(null, payload);
  });
}

export default fp(securityHeaders, { name: 'aggregator-security-headers', fastify: '5.x' });
