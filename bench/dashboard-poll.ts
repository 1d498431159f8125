/**
 * What one dashboard poll costs as the number of topics grows: the full
 * GET /stats (every topic's counters) against GET /stats/summary (the totals)
 * and GET /stats/history (the chart's seconds), on a real SQLite store, in
 * process (inject: no network, so the figure is the server's own work).
 *
 *   node dist/bench/dashboard-poll.js --topics 10,1000,10000,100000 --requests 50
 *
 * Prints, per topic count and route, the median time of one request and its body size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startAggregator } from '../src/aggregator.js';
import { loadConfig } from '../src/config/config.js';

const { values } = parseArgs({
  options: {
    topics: { type: 'string', default: '10,1000,10000,100000' },
    requests: { type: 'string', default: '50' },
  },
});
const topicCounts = values.topics.split(',').map(Number);
const requests = Number(values.requests);
const routes = ['/stats', '/stats/summary', '/stats/history'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log('| topics | route | median ms | body bytes |');
console.log('| ---: | --- | ---: | ---: |');
for (const topics of topicCounts) {
  const dir = mkdtempSync(join(tmpdir(), 'agg-bench-poll-'));
  const config = loadConfig(['--data-dir', dir, '--log-level', 'silent'], {});
  const agg = await startAggregator(config, { logger: pino({ level: 'silent' }), clock: Date.now });
  try {
    for (let from = 0; from < topics; from += 10_000) {
      const events = Array.from({ length: Math.min(10_000, topics - from) }, (_, i) => ({
        topic: `topic.${from + i}`,
        event_id: 'e1',
        timestamp: '2026-11-29T12:00:00Z',
        source: 'bench',
        payload: { n: from + i },
      }));
      const res = await agg.app.inject({ method: 'POST', url: '/publish', payload: events });
      if (res.statusCode !== 200) throw new Error(`publish answered ${res.statusCode}: ${res.body}`);
    }
    for (const url of routes) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < requests; i++) {
        const started = performance.now();
        const res = await agg.app.inject({ method: 'GET', url });
        times.push(performance.now() - started);
        bytes = res.rawPayload.length;
      }
      console.log(
        `| ${topics.toLocaleString('en-US')} | ${url} | ${median(times).toFixed(2)} | ${bytes.toLocaleString('en-US')} |`,
      );
    }
  } finally {
    await agg.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
