/**
 * Slow-client protection: the Node/Fastify server options that bound how long
 * a client may take to send its request (headers, then body), keep an idle
 * connection, or leave a socket silent; and the answer it gets when cut off.
 *
 * A client trickling a body byte by byte keeps its socket "active", so an idle
 * timeout never fires; only the request timeout (whole request within N ms)
 * cuts it off. Node checks those deadlines on a timer (`connectionsCheckingInterval`,
 * 30 s by default), which is tightened here so a deadline fires within about
 * a quarter of its length.
 */
import { type ServerOptions, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import type { Limits } from '../../config/limits.js';
import { type ErrorCode, errorStatus } from '../errors.js';

type TimeoutOptions = Pick<
  FastifyServerOptions,
  'requestTimeout' | 'keepAliveTimeout' | 'connectionTimeout' | 'clientErrorHandler'
> & { http: ServerOptions };

export function slowClientOptions(limits: Limits): TimeoutOptions {
  const deadlines = [limits.headersTimeoutMs, limits.requestTimeoutMs].filter((ms) => ms > 0);
  const checkEvery = Math.min(1000, Math.max(50, Math.floor(Math.min(...deadlines) / 4)));
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.socketTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: checkEvery,
    },
    clientErrorHandler: answerClientError,
  };
}

/**
 * Answers a request that never reached a route (timed out, malformed, headers
 * too large) in the same JSON error format as every other error, then closes
 * the socket. Replaces Fastify's default, whose body has no AGG_ERR code.
 * @see https://nodejs.org/api/http.html#event-clienterror
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [ErrorCode, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['AGG_ERR_TIMEOUT', 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? ['AGG_ERR_HEADERS_TOO_LARGE', 'the request headers are too large']
        : ['AGG_ERR_BAD_REQUEST', 'malformed HTTP request'];
  const status = errorStatus[code];
  const body = JSON.stringify({ error: code, message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Connection: close\r\n' +
        'Content-Type: application/json; charset=utf-8\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
