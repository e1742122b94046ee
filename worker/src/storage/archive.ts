import { sha256Hex } from '../crypto/hmac';
import type { EventRow } from './messages';

/**
 * Raw accepted events, NDJSON, one object per (site, receive hour, consumer batch):
 * `events/<site>/<YYYY>/<MM>/<DD>/<HH>/<batch>.ndjson`. R2 can't append, so each batch writes
 * its own object; `<batch>` hashes the queue message ids, so a redelivered batch overwrites the
 * object it wrote before instead of adding a copy. Readers should still dedupe by `id`: a batch
 * redelivered in another composition writes its events under another key.
 */
export function archiveKey(site: string, receivedAt: number, batch: string): string {
  const d = new Date(receivedAt).toISOString();
  return `events/${site}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${d.slice(11, 13)}/${batch}.ndjson`;
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
    [...groups].map(([key, group]) =>
      bucket.put(key, group.map((r) => JSON.stringify(r)).join('\n') + '\n', {
        httpMetadata: { contentType: 'application/x-ndjson' },
        customMetadata: { events: String(group.length), site: group[0]!.site_id },
      }),
    ),
  );
  return [...groups.keys()];
}
