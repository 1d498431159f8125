/** The writer's own refusals: expected outcomes under load and at shutdown, carried by code (http/errors.ts). */

/** The queue is full; retry later (HTTP 503 + Retry-After). */
export class OverloadedError extends Error {
  readonly code = 'QUEUE_FULL';
  constructor() {
    super('the write queue is full');
  }
}

/** The writer is draining for shutdown and takes no new work. */
export class ShuttingDownError extends Error {
  readonly code = 'SHUTTING_DOWN';
  constructor() {
    super('the aggregator is shutting down');
  }
}
