import { datePrefix, parseKey, sitePrefix, utcDate } from '../storage/archive';
import { legacyPrefix, legacyRow, parseLegacyKey, readLegacyText } from '../storage/archive-legacy';
import { decodeParquet, type ArchivedEvent } from '../storage/parquet';
import { listAll, listDates, ObjectChanged, openParquet, parsing, UnreadableObject } from '../storage/r2-file';
import { visitVisitor } from '../storage/visits';
import { isSubjects, subjectFilter, type ArchiveSubject } from './erase';

const DAY = 86_400_000;

/**
 * UTC days on which these anonymous ids — or the user, whose server-side events may carry no anonymous id — had visits
 * starting before `before`, from the visit rollup (full retention; indexed by anonymous id and by stitched visitor, which
 * is the user id wherever one is set), so a reader opens only those partitions. A visit past midnight counts both days.
 * Bot-flagged events (not in the rollups) are not found this way: a DSAR export reads every day.
 */
export async function activeDays(db: D1Database, siteId: string, anonIds: readonly string[], before: number, userId: string | null = null): Promise<string[]> {
  if (!anonIds.length && !userId) return [];
  const { results } = await db
    .prepare(
      `SELECT start_ts, end_ts FROM visits WHERE site_id = ?1 AND anon_id IN (SELECT value FROM json_each(?2)) AND start_ts < ?3
       UNION ALL
       SELECT start_ts, end_ts FROM visits WHERE site_id = ?1 AND ${visitVisitor('visits')} = ?4 AND start_ts < ?3`,
    )
    .bind(siteId, JSON.stringify(anonIds), before, userId)
    .all<{ start_ts: number; end_ts: number }>();
  return [...new Set(results.flatMap((v) => [utcDate(v.start_ts), utcDate(v.end_ts)]))];
}

/**
 * Archived events of one object that belong to the subject (an object that changed under the read is read again). An object
 * that isn't readable Parquet adds its key to `unreadable` and nothing else: the reader says so instead of failing.
 */
async function fromObject(bucket: R2Bucket, obj: R2Object, s: ArchiveSubject, unreadable: string[]): Promise<ArchivedEvent[]> {
  for (let i = 0; i < 3; i++) {
    try {
      const file = await openParquet(bucket, obj);
      if (!file) return [];
      return await parsing(obj.key, () => decodeParquet(file, { filter: subjectFilter(s) }));
    } catch (err) {
      if (err instanceof UnreadableObject) {
        console.error(JSON.stringify({ level: 'error', msg: 'export: unreadable archive object skipped', key: obj.key, error: err.message }));
        unreadable.push(obj.key);
        return [];
      }
      if (!(err instanceof ObjectChanged)) throw err;
      const head = await bucket.head(obj.key);
      if (!head) return [];
      obj = head;
    }
  }
  throw new Error(`archive object ${obj.key} kept changing while it was read`);
}

/**
 * The subject's archived events with `ts` before `before`, oldest first, deduped by id. `dates` narrows the read to
 * those day partitions (profiles pass the days the rollups saw the subject); without it every partition before the
 * cutoff is read, and the old NDJSON objects not yet converted — what a data-subject export must cover. Keys of objects that
 * could not be read as Parquet are added to `unreadable`.
 */
export async function archivedEventsOf(bucket: R2Bucket, s: ArchiveSubject, before: number, dates?: Iterable<string>, unreadable: string[] = []): Promise<ArchivedEvent[]> {
  const last = utcDate(before - 1);
  const days = dates ? [...new Set(dates)].filter((d) => d <= last).sort() : (await listDates(bucket, sitePrefix(s.siteId))).filter((d) => d <= last);
  const found: ArchivedEvent[] = [];
  for (const d of days) {
    for await (const obj of listAll(bucket, datePrefix(s.siteId, d))) if (parseKey(obj.key)) found.push(...(await fromObject(bucket, obj, s, unreadable)));
  }
  if (!dates) {
    const mine = isSubjects(s);
    for await (const obj of listAll(bucket, legacyPrefix(s.siteId))) {
      const at = parseLegacyKey(obj.key);
      // A legacy object holds events received in its hour: none is older than 7 days before it (the ingest window).
      if (!at || at.hour - 7 * DAY >= before) continue;
      const body = await bucket.get(obj.key);
      if (!body) continue;
      for (const line of (await readLegacyText(obj.key, body)).split('\n')) {
        if (!line) continue;
        const row = legacyRow(JSON.parse(line) as Record<string, unknown>);
        if (mine(row)) found.push(row);
      }
    }
  }
  const seen = new Set<string>();
  return found
    .filter((r) => r.ts < before && !seen.has(r.id) && seen.add(r.id))
    .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
}
