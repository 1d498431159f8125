/**
 * The naive prototype of bench:compare: Fastify + better-sqlite3, one table
 * with a UNIQUE (topic, event_id) primary key, WAL with synchronous=FULL, and
 * group commit: every request that arrived in one I/O round is written in one
 * transaction on the event loop, then all of them are answered.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { type BaselineCounters, baselineFlags, eventsOf, listen, summary } from './baseline-server.js';

type Event = { topic: string; event_id: string; timestamp: string; source: string; payload: unknown };
interface Job {
  events: Event[];
  done: (duplicates: number[]) => void;
}

const db = new Database(join(baselineFlags().dataDir, 'naive.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS events (topic TEXT NOT NULL, event_id TEXT NOT NULL, timestamp TEXT,
  source TEXT, payload TEXT, PRIMARY KEY (topic, event_id)) WITHOUT ROWID`);
const insert = db.prepare('INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?)');
const counters: BaselineCounters = { received: 0, unique: 0 };

let queue: Job[] = [];
const commit = db.transaction((jobs: Job[]) =>
  jobs.map((job) => {
    const duplicates: number[] = [];
    job.events.forEach((e, i) => {
      const { changes } = insert.run(e.topic, e.event_id, e.timestamp, e.source, JSON.stringify(e.payload));
      if (changes === 0) duplicates.push(i);
    });
    return duplicates;
  }),
);
function flush(): void {
  const jobs = queue;
  queue = [];
  const results = commit(jobs);
  jobs.forEach((job, i) => {
    counters.received += job.events.length;
    counters.unique += job.events.length - results[i].length;
    job.done(results[i]);
  });
}

const app = Fastify({ logger: false, bodyLimit: 4 * 2 ** 20 });
app.post('/publish', (request) => {
  const events = eventsOf(request.body) as Event[];
  return new Promise((resolve) => {
    if (queue.length === 0) setImmediate(flush);
    queue.push({ events, done: (duplicates) => resolve(summary(events.length, duplicates)) });
  });
});

await listen(app, counters);
