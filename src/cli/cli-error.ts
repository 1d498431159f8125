/**
 * A failure the user can act on (server unreachable, key refused, port taken):
 * `aggregator` prints its message as one line, without a stack, and exits 1.
 * Flag and variable mistakes are ConfigError instead (exit 2).
 */
export class CliError extends Error {}
