/** JetStream → one replica on PostgreSQL: how fast a backlog of single-event messages (20 % copies) drains. */
import { jetstreamDrain } from '../support/jetstream-drain.js';

export default {
  name: 'jetstream drain, 1 replica, postgres',
  run: (smoke: boolean) => jetstreamDrain({ replicas: 1, messages: smoke ? 2000 : 50_000, dupRate: 0.2 }),
};
