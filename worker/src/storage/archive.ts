import { sha256Hex } from '../crypto/hmac';
import type { EventRow } from './messages';
import { encodeParquet, type ArchivedEvent, type EncodeOptions } from './parquet';

/**
 * The raw archive's layout in R2 (CONTRACT §7): Apache Parquet, hive-partitioned by site and by the event's UTC day,
 * `events/site=<site>/date=<YYYY-MM-DD>/<name>.parquet`, so DuckDB, Spark, pyarrow and R2 SQL read `site` and `date`
 * as columns and skip the partitions a query doesn't need. Names say who wrote the file:
 * - `p-<batch>`: one consumer invocation's events of that site and day; `<batch>` hashes the queue message ids, so a
 *   redelivered batch overwrites its own parts instead of adding copies;
 * - `c-<hash>`: a compaction of parts (archive/compact.ts), named after its inputs so a retried run rewrites it;
 * - `l-<hash>`: an object of the gzip NDJSON archive this one replaced, converted (storage/archive-legacy.ts).
 * Every object carries `customMetadata.rows`, so listing the archive needs no reads.
 */
export const sitePrefix = (site: string): string => `events/site=${site}/`;
export const datePrefix = (site: string, date: string): string => `${sitePrefix(site)}date=${date}/`;
export const objectKey = (site: string, date: string, name: string): string => `${datePrefix(site, date)}${name}.parquet`;
/** The UTC day of an epoch-ms time: the partition an event belongs to. */
export const utcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Everything a key may be: the site id's own alphabet, a calendar-shaped day, a name without dots or slashes. */
const KEY = /^events\/site=([a-z0-9][a-z0-9_-]{0,62})\/date=(\d{4}-\d{2}-\d{2})\/([A-Za-z0-9_-]{1,80})\.parquet$/;
export interface ArchiveKey {
  site: string;
  date: string;
  name: string;
}
export function parseKey(key: string): ArchiveKey | null {
  const m = KEY.exec(key);
  return m ? { site: m[1]!, date: m[2]!, name: m[3]! } : null;
}

export const PARQUET_TYPE = 'application/vnd.apache.parquet';

/** Rows of one object as stored: the count travels as metadata, for the listing API and compaction's planning. */
export interface StoredObject {
  key: string;
  rows: number;
  size: number;
  etag: string;
}

/** Writes rows as one Parquet object. `onlyIf` makes it a compare-and-swap (null: the object changed meanwhile). */
export async function putParquet(
  bucket: R2Bucket,
  key: string,
  rows: readonly ArchivedEvent[],
  opts: EncodeOptions & { onlyIf?: R2Conditional } = {},
): Promise<StoredObject | null> {
  const { site, date } = parseKey(key)!;
  const body = encodeParquet(rows, opts);
  const put = await bucket.put(key, body, {
    httpMetadata: { contentType: PARQUET_TYPE },
    customMetadata: { rows: String(rows.length), site, date },
    ...(opts.onlyIf ? { onlyIf: opts.onlyIf } : {}),
  });
  return put ? { key, rows: rows.length, size: put.size, etag: put.etag } : null;
}

/** Groups rows by (site, UTC day of the event), in first-seen order. */
export function byPartition<T extends { site_id: string; ts: number }>(rows: readonly T[]): Map<string, { site: string; date: string; rows: T[] }> {
  const groups = new Map<string, { site: string; date: string; rows: T[] }>();
  for (const row of rows) {
    const date = utcDate(row.ts);
    const k = `${row.site_id}\t${date}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { site: row.site_id, date, rows: [] }));
    g.rows.push(row);
  }
  return groups;
}

/** A batch's name: the hash of its (sorted) queue message ids, so the same messages always write the same keys. */
export const batchName = async (messageIds: readonly string[]): Promise<string> => (await sha256Hex([...messageIds].sort().join(','))).slice(0, 24);

/**
 * The consumer's write: one Parquet part per (site, event day) of the batch. Partitioned by the event's own time
 * (what queries filter on, and what retention drops by), not by when it arrived: a batch spanning midnight, or
 * carrying an offline outbox of older events, writes a part into each day it touches.
 */
export async function writeParts(bucket: R2Bucket, rows: readonly EventRow[], batch: string): Promise<string[]> {
  const groups = [...byPartition(rows).values()];
  await Promise.all(groups.map((g) => putParquet(bucket, objectKey(g.site, g.date, `p-${batch}`), g.rows)));
  return groups.map((g) => objectKey(g.site, g.date, `p-${batch}`));
}
