/**
 * The error registry: every error a client can see has a stable code, an HTTP
 * status and a message, in the SPEC's JSON body `{error, message, details?}`.
 * Clients branch on `error`, never on `message`. A 5xx never carries internal
 * detail (no stack, no SQL); the log has it.
 *
 * One table maps the codes the rest of the program speaks — refusals
 * (ingest/refusal.ts), the writer's and the store's faults, Fastify's own —
 * to that answer, as undici and Fastify give each error a stable `code`:
 * a lookup by code, never a chain of `instanceof` checks.
 */
import type { FastifyError, FastifyReply } from 'fastify';
import { unsupportedMediaType } from '../ingest/admission.js';
import { type EncodingError, supportedEncodings } from '../ingest/content-encoding.js';
import type { Refusal, RefusalCode } from '../ingest/refusal.js';
import type { OverloadedError, ShuttingDownError } from '../ingest/writer-errors.js';
import type { StoreFaultCode } from '../store/event-store.js';

export const errorStatus = {
  AGG_ERR_BAD_JSON: 400,
  AGG_ERR_BAD_REQUEST: 400,
  AGG_ERR_UNAUTHORIZED: 401,
  AGG_ERR_FORBIDDEN: 403,
  AGG_ERR_NOT_FOUND: 404,
  AGG_ERR_METHOD_NOT_ALLOWED: 405,
  AGG_ERR_TIMEOUT: 408,
  AGG_ERR_TOO_LARGE: 413,
  AGG_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  AGG_ERR_VALIDATION: 422,
  AGG_ERR_RATE_LIMITED: 429,
  AGG_ERR_HEADERS_TOO_LARGE: 431,
  AGG_ERR_INTERNAL: 500,
  AGG_ERR_OVERLOADED: 503,
  AGG_ERR_SHUTTING_DOWN: 503,
  AGG_ERR_STORE_UNAVAILABLE: 503,
  AGG_ERR_STORAGE_FULL: 507,
} as const;

export type ErrorCode = keyof typeof errorStatus;

interface ErrorBody {
  error: ErrorCode;
  message: string;
  details?: readonly object[];
}

/** What the client gets: status, headers and the JSON body. */
interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ErrorBody;
  /** Fastify refused the request body before it was read as events (a refused delivery). */
  readonly refusedBody?: boolean;
}

function answer(
  code: ErrorCode,
  message: string,
  details?: readonly object[],
  headers: Readonly<Record<string, string>> = {},
): HttpAnswer {
  const body = details === undefined ? { error: code, message } : { error: code, message, details };
  return { status: errorStatus[code], headers, body };
}

/** An error raised by HTTP code itself (access control, rate limit, routes), born with its answer. */
export class HttpError extends Error {
  readonly answer: HttpAnswer;
  constructor(
    readonly code: ErrorCode,
    message: string,
    details?: readonly object[],
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.answer = answer(code, message, details, headers);
  }
}

/** Seconds a client should wait before retrying a 503/507 (RFC 9110 §10.2.3 Retry-After). */
export const retryAfter = { 'retry-after': '1' };

/** @see RFC 9110 §15.5.16: a 415 may say which formats would have worked. */
const acceptPost = {
  'accept-post':
    'application/json, application/x-ndjson, application/cloudevents+json, application/cloudevents-batch+json',
};

interface Entry {
  readonly error: ErrorCode;
  readonly headers?: Readonly<Record<string, string>>;
  /** Replaces the error's own message (Fastify's name internals). */
  readonly message?: string;
  readonly refusedBody?: true;
}

type OwnCode =
  | RefusalCode
  | EncodingError['code']
  | StoreFaultCode
  | OverloadedError['code']
  | ShuttingDownError['code'];

const ownCodes: Record<OwnCode, Entry> = {
  MALFORMED_JSON: { error: 'AGG_ERR_BAD_JSON' },
  NOT_EVENTS: { error: 'AGG_ERR_BAD_REQUEST' },
  LINE_TOO_LONG: { error: 'AGG_ERR_TOO_LARGE' },
  BODY_TOO_LARGE: { error: 'AGG_ERR_TOO_LARGE' },
  TOO_MANY_EVENTS: { error: 'AGG_ERR_TOO_LARGE' },
  INVALID_EVENTS: { error: 'AGG_ERR_VALIDATION' },
  UNSUPPORTED_MEDIA_TYPE: { error: 'AGG_ERR_UNSUPPORTED_MEDIA_TYPE', headers: acceptPost },
  // A compressed body refused while it was decoded (ingest/content-encoding.ts): a refused delivery.
  UNSUPPORTED_ENCODING: {
    error: 'AGG_ERR_UNSUPPORTED_MEDIA_TYPE',
    // @see RFC 9110 §15.5.16: a 415 for a content coding lists the codings that would work.
    headers: { 'accept-encoding': supportedEncodings },
    refusedBody: true,
  },
  BAD_ENCODING: { error: 'AGG_ERR_BAD_REQUEST', refusedBody: true },
  DECODED_TOO_LARGE: { error: 'AGG_ERR_TOO_LARGE', refusedBody: true },
  QUEUE_FULL: { error: 'AGG_ERR_OVERLOADED', headers: retryAfter },
  SHUTTING_DOWN: { error: 'AGG_ERR_SHUTTING_DOWN', headers: retryAfter },
  STORE_UNAVAILABLE: { error: 'AGG_ERR_STORE_UNAVAILABLE', headers: retryAfter },
  STORE_FULL: { error: 'AGG_ERR_STORAGE_FULL', headers: retryAfter },
};

const fastifyCodes: Record<string, Entry> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    error: 'AGG_ERR_TOO_LARGE',
    message: 'request body is larger than the limit',
    refusedBody: true,
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    error: 'AGG_ERR_UNSUPPORTED_MEDIA_TYPE',
    message: unsupportedMediaType,
    headers: acceptPost,
    refusedBody: true,
  },
};

/** Every code → its answer; a Map, so a code such as "constructor" finds nothing. */
const table = new Map<string, Entry>([...Object.entries(ownCodes), ...Object.entries(fastifyCodes)]);

/** The answer to a refused delivery (an admission result, not an exception). */
export function refusalAnswer(refusal: Refusal): HttpAnswer {
  const entry = ownCodes[refusal.code];
  return answer(entry.error, refusal.message, refusal.details, entry.headers);
}

/** The answer to anything thrown while handling a request. */
export function faultAnswer(err: unknown): HttpAnswer {
  if (err instanceof HttpError) return err.answer;
  const e = err as FastifyError;
  const entry = typeof e.code === 'string' ? table.get(e.code) : undefined;
  if (entry !== undefined) {
    const found = answer(entry.error, entry.message ?? e.message, undefined, entry.headers);
    return entry.refusedBody ? { ...found, refusedBody: true } : found;
  }
  if (e.validation) {
    const details = e.validation.map((v) => ({
      field: String(v.params?.missingProperty ?? v.instancePath.slice(1).replaceAll('/', '.')),
      message: v.message ?? 'is invalid',
    }));
    return answer('AGG_ERR_BAD_REQUEST', `invalid ${e.validationContext ?? 'request'}`, details);
  }
  // Fastify's other refusals (a body cut short, a wrong Content-Length) carry a 4xx statusCode.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { ...answer('AGG_ERR_BAD_REQUEST', e.message), refusedBody: true };
  }
  return answer('AGG_ERR_INTERNAL', 'internal error; see the server log');
}

export function sendAnswer(reply: FastifyReply, answer: HttpAnswer): FastifyReply {
  return reply
    .code(answer.status)
    .headers(answer.headers)
    .type('application/json; charset=utf-8')
    .send(answer.body);
}
