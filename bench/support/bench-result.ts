/** One scenario's measured line, as `aggregator bench --json` prints it and the runner tabulates it. */
export interface BenchResult {
  events: number;
  events_per_second: number;
  requests_per_second: number;
  /** Request latency; absent where there are no requests (a broker drain). */
  latency_ms?: { p50: number; p95: number; p99: number };
  server_peak_rss_mb: number;
  verified: boolean;
  problems: string[];
}

/** A scenario: arguments for `aggregator bench`, or its own `run` (several servers, a broker). */
export interface Scenario {
  readonly name: string;
  readonly args?: string[];
  readonly smokeArgs?: string[];
  run?(smoke: boolean): Promise<BenchResult>;
}
