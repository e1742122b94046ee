import { decodeUtf8, readStream } from '../http/body';
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
  const bytes = await readStream(stream, maxBytes, () => tooLarge(maxBytes));
  if (bytes.byteLength === 0) throw apiError(400, 'empty_body', 'the body is empty', 'body');
  const text = decodeUtf8(bytes);
  try {
    return JSON.parse(text);
  } catch {
    throw apiError(400, 'invalid_json', 'the body is not valid JSON', 'body');
  }
}
