import { HTTPException } from 'hono/http-exception';
import { apiError } from '../http/errors';

/**
 * Segment's limits (HTTP Tracking API, "Max request size"): 500 KB per batch request, 32 KB per call and per event
 * in a batch, and a `400 Bad Request` beyond them — not the 413 of the snippet's endpoints: Segment's libraries treat a
 * 400 as final (a batch that is too large never fits on retry) and retry a 413 like any other 4xx they don't know.
 */
export const MAX_BATCH_BYTES = 500 * 1024;
export const MAX_EVENT_BYTES = 32 * 1024;

/** Segment asks for application/json; analytics.js posts text/plain (no CORS preflight); some clients send none. */
const TYPES = ['application/json', 'text/plain', ''];
const tooLarge = (max: number) => apiError(400, 'payload_too_large', `the body exceeds ${Math.round(max / 1024)} KB (Segment's limit)`, 'body');

/**
 * The parsed JSON body, at most `maxBytes` once decoded. `Content-Encoding: gzip` (analytics-python's `gzip=True`,
 * analytics-go) is decompressed as a stream and capped after decompression, so a small bomb can't grow past the limit.
 */
export async function readSegmentBody(req: Request, maxBytes: number): Promise<unknown> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!TYPES.includes(type)) throw apiError(415, 'unsupported_media_type', 'send the body as application/json', 'content-type');
  const encoding = (req.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (encoding && encoding !== 'gzip' && encoding !== 'identity') throw apiError(415, 'unsupported_encoding', 'Content-Encoding may be gzip or none', 'content-encoding');
  const declared = Number(req.headers.get('content-length') ?? 'NaN');
  if (encoding !== 'gzip' && Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  let stream = req.body;
  if (stream && encoding === 'gzip') stream = stream.pipeThrough(new DecompressionStream('gzip'));
  const bytes = await readCapped(stream, maxBytes);
  if (bytes.byteLength === 0) throw apiError(400, 'empty_body', 'the body is empty', 'body');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw apiError(400, 'invalid_encoding', 'the body is not valid UTF-8', 'body');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw apiError(400, 'invalid_json', 'the body is not valid JSON', 'body');
  }
}

async function readCapped(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof HTTPException) throw err;
    // A truncated or corrupt gzip stream.
    throw apiError(400, 'invalid_encoding', 'the body could not be decompressed', 'body');
  }
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}
