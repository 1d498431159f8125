/**
 * Server-Sent Events plumbing, apart from what is streamed: opens SseStreams
 * on hijacked replies, keeps one heartbeat timer for all of them, and ends
 * them all when the app closes. That last part matters: Fastify's close()
 * waits for in-flight requests, and a live stream never finishes by itself,
 * so without the preClose hook a single subscriber would hang shutdown.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { SseStream } from '../../live/sse-stream.js';

interface SseOptions {
  /** Milliseconds between heartbeat comments. */
  readonly heartbeatMs: number;
  /** Reconnect delay suggested to clients (`retry:`). */
  readonly retryMs?: number;
}

interface SseStreams {
  /** Takes over the reply and opens an event stream on it. */
  open(reply: FastifyReply): SseStream;
  /** Streams currently open. */
  readonly size: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    sse: SseStreams;
  }
}

async function ssePlugin(app: FastifyInstance, options: SseOptions): Promise<void> {
  const open = new Set<SseStream>();
  let timer: NodeJS.Timeout | undefined;

  const heartbeat = () => {
    for (const stream of open) stream.heartbeat();
  };

  app.decorate('sse', {
    open(reply: FastifyReply): SseStream {
      // Fastify must not send anything on this reply any more; the stream owns the socket.
      reply.hijack();
      const stream = new SseStream(reply.raw, { retryMs: options.retryMs ?? 2_000 });
      open.add(stream);
      // unref: a heartbeat alone must never keep the process alive.
      timer ??= setInterval(heartbeat, options.heartbeatMs).unref();
      stream.onClose(() => {
        open.delete(stream);
        if (open.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      });
      return stream;
    },
    get size() {
      return open.size;
    },
  } satisfies SseStreams);

  app.addHook('preClose', async () => {
    // Clients see a clean end of stream and reconnect (with Last-Event-ID) elsewhere or later.
    for (const stream of [...open]) stream.end();
  });
}

export default fp(ssePlugin, { name: 'aggregator-sse', fastify: '5.x' });
