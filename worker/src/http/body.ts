import { LIMITS } from '../../../shared/limits';
import { apiError } from './errors';

const JSON_TYPES = ['text/plain', 'application/json'];

/**
 * Reads a JSON body sent as `text/plain` (sendBeacon, no CORS preflight) or `application/json`,
 * refusing more than `maxBytes` without buffering it all first.
 */
export async function readJson(req: Request, maxBytes: number = LIMITS.bodyBytes): Promise<unknown> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!JSON_TYPES.includes(type)) {
    throw apiError(415, 'unsupported_media_type', 'send the body as text/plain or application/json', 'content-type');
  }
  const declared = Number(req.headers.get('content-length') ?? 'NaN');
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw apiError(413, 'payload_too_large', `body exceeds ${maxBytes} bytes`, 'body');
  }
  // With a declared length the framing caps the body already: one read instead of a chunk loop.
  const text = Number.isFinite(declared) ? decodeUtf8(new Uint8Array(await req.arrayBuffer())) : await readCapped(req, maxBytes);
  if (text.length === 0) throw apiError(400, 'empty_body', 'the body is empty', 'body');
  try {
    return JSON.parse(text);
  } catch {
    // Malformed JSON and absurd nesting (RangeError) alike.
    throw apiError(400, 'invalid_json', 'the body is not valid JSON', 'body');
  }
}

async function readCapped(req: Request, maxBytes: number): Promise<string> {
  return decodeUtf8(await readStream(req.body, maxBytes, () => apiError(413, 'payload_too_large', `body exceeds ${maxBytes} bytes`, 'body')));
}

/**
 * A body stream's bytes, refusing more than `maxBytes` (throws `tooLarge()`) without buffering them first. Any other
 * failure of the stream (a corrupt gzip stream piped in) is a 400.
 */
export async function readStream(stream: ReadableStream<Uint8Array> | null, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
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
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (size > maxBytes) throw err;
    throw apiError(400, 'invalid_encoding', 'the body could not be read (or decompressed)', 'body');
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

/** UTF-8 text, strictly: a body that is not valid UTF-8 is a 400, never silently repaired. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw apiError(400, 'invalid_encoding', 'the body is not valid UTF-8', 'body');
  }
}
