/**
 * Compressed request bodies (`Content-Encoding: gzip | deflate | br`, RFC 9110
 * §8.4). The body is decoded as a stream while it arrives, and the decoded
 * bytes are counted against the body limit as they come out of the decoder:
 * the moment they pass it the decoder is destroyed and the request is refused
 * with 413. A compression bomb therefore costs at most one body limit of
 * memory and the CPU to inflate that much — the same as a plain body of that
 * size — and every later limit (events, NDJSON line, payload) sees the
 * decoded text, as it would a plain body.
 *
 * Only a request that carries the header is routed here; a plain body is read
 * by Fastify as before.
 */
import type { Readable, TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** The codings a body may carry; `identity` (no coding) is skipped. @see RFC 9110 §8.4.1 */
const decoders: Record<string, () => Transform> = {
  gzip: () => createGunzip(),
  // RFC 9110 §8.4.1.3: a recipient SHOULD treat x-gzip as gzip.
  'x-gzip': () => createGunzip(),
  // "deflate" is the zlib format (RFC 1950); some senders send raw deflate, which inflate refuses (400).
  deflate: () => createInflate(),
  br: () => createBrotliDecompress({ params: { [constants.BROTLI_DECODER_PARAM_LARGE_WINDOW]: 0 } }),
};

export const supportedEncodings = 'gzip, deflate, br';

/** A body refused while decoding; `code` is answered by the error table (http/errors.ts). */
export class EncodingError extends Error {
  constructor(
    readonly code: 'UNSUPPORTED_ENCODING' | 'BAD_ENCODING' | 'DECODED_TOO_LARGE',
    message: string,
    /** Read by Fastify's body reader, which otherwise calls a stream error a 400. */
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/**
 * The codings of a Content-Encoding header in the order they were applied, or
 * the refusal of an unknown one. Identity entries are dropped; an empty list
 * means the body is not encoded.
 */
export function parseContentEncoding(header: string): string[] | EncodingError {
  const codings: string[] = [];
  for (const part of header.split(',')) {
    const coding = part.trim().toLowerCase();
    if (coding === '' || coding === 'identity') continue;
    if (!Object.hasOwn(decoders, coding)) {
      // The header is the client's own text, never body bytes; still, only a bounded slice of it.
      return new EncodingError(
        'UNSUPPORTED_ENCODING',
        `Content-Encoding "${coding.slice(0, 40)}" is not supported; send ${supportedEncodings} or none`,
        415,
      );
    }
    codings.push(coding);
  }
  return codings;
}

/** What Fastify's body reader needs of a replaced payload stream: the bytes read off the wire. */
type DecodedBody = Readable & { receivedEncodedLength: number };

/**
 * The decoded body of `raw`, its codings undone in reverse order of
 * application, ending with an error (EncodingError) when the data is not in
 * the coding it claims or decodes to more than `maxBytes`.
 */
export function decodeBody(raw: Readable, codings: readonly string[], maxBytes: number): Readable {
  const stages = [...codings].reverse().map((coding) => decoders[coding]());
  let decoded = 0;
  const out = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      decoded += chunk.length;
      if (decoded > maxBytes) {
        stop();
        callback(
          new EncodingError(
            'DECODED_TOO_LARGE',
            `request body is larger than ${maxBytes} bytes once decoded`,
            413,
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  }) as Transform & DecodedBody;
  out.receivedEncodedLength = 0;
  // Counted for Fastify's Content-Length check, which compares what came off the wire.
  raw.on('data', (chunk: Buffer) => {
    out.receivedEncodedLength += chunk.length;
  });

  // Not stream.pipeline: on error it would destroy the request itself, and with it the socket
  // the 413 or 400 must still be written to.
  const stop = () => {
    raw.unpipe(stages[0]);
    for (const stage of stages) stage.destroy();
  };
  let from: Readable = raw;
  for (const stage of stages) {
    from.pipe(stage);
    stage.on('error', (err: Error) => {
      stop();
      // zlib's message names the defect ("incorrect header check"), never the bytes.
      out.destroy(
        new EncodingError('BAD_ENCODING', `the body is not valid ${codings.join(', ')}: ${err.message}`, 400),
      );
    });
    from = stage;
  }
  from.pipe(out);
  return out;
}
