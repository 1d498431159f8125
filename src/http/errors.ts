/**
 * The error registry: every error a client can see has a stable code, an HTTP
 * status and a message; one handler maps faults to the SPEC's JSON body
 * `{error, message, details?}`. Clients branch on `error`, never on `message`.
 * A 5xx never carries internal detail (no stack, no SQL); the log has it.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { LineTooLongError, MalformedJsonError } from '../ingest/json-body.js';
import { BadBatchError, InvalidEventsError, TooManyEventsError } from '../ingest/validate.js';
import { OverloadedError, ShuttingDownError } from '../ingest/writer.js';
import { StorageFullError, StoreUnavailableError } from '../store/event-store.js';

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

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details?: readonly object[];
}

export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: readonly object[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.status = errorStatus[code];
  }

  get body(): ErrorBody {
    return this.details === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, details: this.details };
  }
}

/** Seconds a client should wait before retrying a 503/507 (RFC 9110 §10.2.3 Retry-After). */
const retryAfter = { 'retry-after': '1' };

/** Maps any thrown value to the HttpError the client sees. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof InvalidEventsError) return new HttpError('AGG_ERR_VALIDATION', err.message, err.details);
  if (err instanceof BadBatchError) return new HttpError('AGG_ERR_BAD_REQUEST', err.message);
  if (err instanceof MalformedJsonError)
    return new HttpError('AGG_ERR_BAD_JSON', `malformed JSON: ${err.message}`);
  if (err instanceof TooManyEventsError) return new HttpError('AGG_ERR_TOO_LARGE', err.message);
  if (err instanceof LineTooLongError) return new HttpError('AGG_ERR_TOO_LARGE', err.message);
  if (err instanceof OverloadedError)
    return new HttpError('AGG_ERR_OVERLOADED', err.message, undefined, retryAfter);
  if (err instanceof ShuttingDownError) {
    return new HttpError('AGG_ERR_SHUTTING_DOWN', err.message, undefined, retryAfter);
  }
  if (err instanceof StoreUnavailableError) {
    return new HttpError('AGG_ERR_STORE_UNAVAILABLE', err.message, undefined, retryAfter);
  }
  if (err instanceof StorageFullError)
    return new HttpError('AGG_ERR_STORAGE_FULL', err.message, undefined, retryAfter);
  return fromFastify(err as FastifyError);
}

function fromFastify(err: FastifyError): HttpError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError('AGG_ERR_TOO_LARGE', 'request body is larger than the limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(
        'AGG_ERR_UNSUPPORTED_MEDIA_TYPE',
        'send application/json or application/x-ndjson',
        undefined,
        // @see RFC 9110 §15.5.16: a 415 may say which formats would have worked.
        { 'accept-post': 'application/json, application/x-ndjson' },
      );
  }
  if (err.validation) {
    const details = err.validation.map((v) => ({
      field: String(v.params?.missingProperty ?? v.instancePath.slice(1).replaceAll('/', '.')),
      message: v.message ?? 'is invalid',
    }));
    return new HttpError('AGG_ERR_BAD_REQUEST', `invalid ${err.validationContext ?? 'request'}`, details);
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new HttpError('AGG_ERR_BAD_REQUEST', err.message);
  }
  return new HttpError('AGG_ERR_INTERNAL', 'internal error; see the server log');
}

/** Installs the one error handler and the JSON 404/405 answer. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const http = toHttpError(err);
    if (http.status >= 500) request.log.error({ err }, http.message);
    reply.code(http.status).headers(http.headers).type('application/json; charset=utf-8').send(http.body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    const allowed = (['GET', 'POST', 'HEAD'] as const).filter((method) =>
      app.hasRoute({ url: path, method }),
    );
    const http =
      allowed.length > 0
        ? new HttpError(
            'AGG_ERR_METHOD_NOT_ALLOWED',
            `${request.method} is not allowed on ${path}`,
            undefined,
            {
              allow: allowed.join(', '),
            },
          )
        : new HttpError('AGG_ERR_NOT_FOUND', `no route ${request.method} ${path}`);
    reply.code(http.status).headers(http.headers).send(http.body);
  });
}
