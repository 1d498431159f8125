/**
 * Why a delivery is refused. A refusal is an expected outcome, so it is a
 * value that each admission step returns, never an exception (as the steps
 * of PostHog's ingestion pipeline return a result). Each code has exactly one
 * HTTP answer, in the table of http/errors.ts.
 */

export type RefusalCode =
  /** Not JSON (or an NDJSON line is not), or nested far too deep to parse. */
  | 'MALFORMED_JSON'
  /** JSON, but not an event, an array of events or `{"events": [...]}`. */
  | 'NOT_EVENTS'
  /** An NDJSON line is longer than the limit. */
  | 'LINE_TOO_LONG'
  /** A broker message is larger than the body limit (over HTTP, Fastify refuses it before admission). */
  | 'BODY_TOO_LARGE'
  /** More events than one request may carry. */
  | 'TOO_MANY_EVENTS'
  /** At least one event breaks a rule; `details` names index and field. */
  | 'INVALID_EVENTS'
  /** A body of a media type no reader takes. */
  | 'UNSUPPORTED_MEDIA_TYPE';

/** One broken rule of one event. */
export interface FieldError {
  readonly index: number;
  readonly field: string;
  readonly message: string;
}

/** What one step found wrong. */
export interface Problem {
  readonly code: RefusalCode;
  readonly message: string;
  /** For INVALID_EVENTS: each broken rule (capped at `errorDetails`). */
  readonly details?: readonly FieldError[];
}

/** A refused delivery, as admission returns it. */
export interface Refusal extends Problem {
  /** Deliveries this refusal adds to the lifetime `rejected` counter (see admission.ts). */
  readonly deliveries: number;
}

/** The result of one step: its value, or the problem that refuses the delivery. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: Problem };

export const pass = <T>(value: T): Checked<T> => ({ ok: true, value });

export const fail = (
  code: RefusalCode,
  message: string,
  details?: readonly FieldError[],
): Checked<never> => ({
  ok: false,
  problem: details === undefined ? { code, message } : { code, message, details },
});

/** A step's problem as its failed result. */
export const failWith = (problem: Problem): Checked<never> => ({ ok: false, problem });

/** More events in one request than the limit: refused whole, before any is read. */
export const tooManyEvents = (count: number, limit: number): Problem => ({
  code: 'TOO_MANY_EVENTS',
  message: `${count} events in one request; the limit is ${limit}`,
});

/** Some events of a request broke a rule: all or nothing, so none is stored. */
export const invalidEvents = (invalid: number, total: number, details: readonly FieldError[]): Problem => ({
  code: 'INVALID_EVENTS',
  message: `${invalid} of ${total} event${total === 1 ? '' : 's'} invalid; nothing was stored`,
  details,
});
