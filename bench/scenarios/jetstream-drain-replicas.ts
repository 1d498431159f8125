/** JetStream → two replicas sharing the durable consumer, on one PostgreSQL database. */
import { jetstreamDrain } from '../support/jetstream-drain.js';

export default {
  name: 'jetstream drain, 2 replicas, postgres',
  run: (smoke: boolean) => jetstreamDrain({ replicas: 2, messages: smoke ? 2000 : 50_000, dupRate: 0.2 }),
};
