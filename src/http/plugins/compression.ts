/**
 * Compressed responses (RFC 9110 §12.5.3: the client's Accept-Encoding
 * decides) for the routes whose answers are large: GET /events (a page of
 * 1,000 events is ~270 KB), /stats (one entry per topic) and /openapi.json.
 *
 * @fastify/compress, registered inside each of those routes' own plugin
 * scope: its hooks join only the routes of that scope, so no other route —
 * POST /publish above all, and the /subscribe stream — runs them. Request
 * decompression stays with the publish route (ingest/content-encoding.ts),
 * which caps the decoded size as it goes.
 *
 * Encodings in the server's order of preference: br (quality 4, the
 * plugin's default: about gzip's speed with smaller output — see
 * bench/RESULTS.md), then gzip and deflate; zstd where Node has it. A body
 * under 1 KiB is sent as is: compressing it saves nothing worth the CPU.
 */
import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

export async function compressResponses(scope: FastifyInstance): Promise<void> {
  await scope.register(compress, {
    global: true,
    globalDecompression: false,
    encodings: ['br', 'gzip', 'deflate', 'identity'],
    threshold: 1024,
  });
}
