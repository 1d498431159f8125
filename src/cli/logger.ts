/**
 * The server's logger: JSON lines for machines (a pipe, a file, a container
 * log driver), human-readable lines (pino-pretty) when stdout is a terminal.
 * pino-pretty is imported only then, so a server writing JSON does not carry it.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Fastify logs its own "Server listening at …" line per address, and serve
 * logs one richer line of its own; Fastify's text is set to this marker
 * (listenTextResolver) and the logger drops it, so exactly one line says
 * where the server listens.
 */
export const fastifyListenMarker = '\u0000fastify-listening';

export async function createLogger(
  level: string,
  stream: NodeJS.WriteStream = process.stdout,
): Promise<Logger> {
  let destination: DestinationStream = stream;
  if (stream.isTTY) {
    const { PinoPretty } = await import('pino-pretty');
    // Synchronous, in this thread: a line logged right before process.exit() is not lost.
    destination = PinoPretty({
      destination: (stream as { fd?: number }).fd ?? 1,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
  }
  return pino(
    {
      level,
      base: { pid: process.pid },
      hooks: {
        logMethod(args, method) {
          if (args[0] === fastifyListenMarker) return;
          method.apply(this, args);
        },
      },
    },
    destination,
  );
}
