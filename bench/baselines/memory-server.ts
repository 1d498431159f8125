/**
 * The in-memory ceiling of bench:compare: the same Fastify stack as ours
 * (Fastify 5, its own JSON body parser), deduplicating into a Set, with no
 * disk and no validation. Whatever we do per request beyond this is our cost.
 */
import Fastify from 'fastify';
import { type BaselineCounters, eventsOf, listen, summary } from './baseline-server.js';

const seen = new Set<string>();
const counters: BaselineCounters = { received: 0, unique: 0 };
const app = Fastify({ logger: false, bodyLimit: 4 * 2 ** 20 });

app.post('/publish', async (request) => {
  const events = eventsOf(request.body);
  const duplicates: number[] = [];
  for (let i = 0; i < events.length; i++) {
    const key = `${events[i].topic}\n${events[i].event_id}`;
    if (seen.has(key)) duplicates.push(i);
    else seen.add(key);
  }
  counters.received += events.length;
  counters.unique += events.length - duplicates.length;
  return summary(events.length, duplicates);
});

await listen(app, counters);
