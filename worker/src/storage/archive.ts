import { sha256Hex } from '../crypto/hmac';
import type { EventRow } from './messages';

/**
 * Raw accepted events, gzip-compressed NDJSON, one object per (site, receive hour, consumer batch):
 * `events/<site>/<YYYY>/<MM>/<DD>/<HH>/<batch>.ndjson.gz`. R2 can't append, so each batch writes
 * its own object; `<batch>` hashes the queue message ids, so a redelivered batch overwrites the
 * object it wrote before instead of adding a copy. Readers should still dedupe by `id`: a batch
 * redelivered in another composition writes its events under another key.
 *
 * Compressed because rows of one batch repeat most of their columns: 1,000 events are ~730 kB of
 * NDJSON and 10–80 kB gzipped, and writing the smaller object costs the consumer less than gzip does.
 * Objects written before compression (`.ndjson`) are still read by `readArchive`.
 */
export function archiveKey(site: string, receivedAt: number, batch: string): string {
  const d = new Date(receivedAt).toISOString();
  return `events/${site}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${d.slice(11, 13)}/${batch}.ndjson.gz`;
}

const ARCHIVE_HTTP_METADATA: R2HTTPMetadata = { contentType: 'application/x-ndjson', contentEncoding: 'gzip' };

/** NDJSON text → the gzip bytes stored in R2. */
export async function packArchive(ndjson: string): Promise<ArrayBuffer> {
  return new Response(new Blob([ndjson]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
}

/** An archive object's NDJSON text, whether it was stored compressed (`.gz`) or not. */
export async function readArchive(key: string, body: R2ObjectBody): Promise<string> {
  if (!key.endsWith('.gz')) return body.text();
  return new Response(body.body.pipeThrough(new DecompressionStream('gzip'))).text();
}

export async function archiveEvents(bucket: R2Bucket, rows: EventRow[], messageIds: string[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const batch = (await sha256Hex([...messageIds].sort().join(','))).slice(0, 24);
  const groups = new Map<string, EventRow[]>();
  for (const row of rows) {
    const key = archiveKey(row.site_id, row.received_at, batch);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(row);
  }
  await Promise.all(
    [...groups].map(async ([key, group]) =>
      bucket.put(key, await packArchive(group.map((r) => JSON.stringify(r)).join('\n') + '\n'), {
        httpMetadata: ARCHIVE_HTTP_METADATA,
        customMetadata: { events: String(group.length), site: group[0]!.site_id },
      }),
    ),
  );
  return [...groups.keys()];
}
