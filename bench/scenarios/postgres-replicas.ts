/** The standard batched load on PostgreSQL, two replicas on one database, 8 connections each. */
import { replicatedLoad } from '../support/replicated-load.js';

export default {
  name: 'postgres batched 100 × 16 conns, 2 replicas',
  run: (smoke: boolean) =>
    replicatedLoad({
      replicas: 2,
      events: smoke ? 2000 : 100_000,
      dupRate: 0.25,
      batch: 100,
      concurrency: smoke ? 4 : 16,
      topics: 5,
    }),
};
