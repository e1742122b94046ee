import { parseKey, putParquet, sitePrefix } from '../storage/archive';
import { legacyPrefix, packLegacy, readLegacyText } from '../storage/archive-legacy';
import { decodeParquet, fileMetadata, type ArchivedEvent } from '../storage/parquet';
import { listAll, ObjectChanged, openParquet, parsing, ReadFailed, UnreadableObject } from '../storage/r2-file';

/** Whose rows: any of these anonymous ids, or this user id. */
export interface ArchiveSubject {
  siteId: string;
  userId: string | null;
  anonIds: string[];
}

export interface ArchiveReport {
  objects_scanned: number;
  objects_rewritten: number;
  objects_deleted: number;
  records_removed: number;
  /** objects that could not be read as Parquet: whether they hold the subject is unknown (the operator must look) */
  objects_unreadable: number;
  /** their keys (the first 100) */
  unreadable_keys?: string[];
}

/** hyparquet's row filter for the subject (bloom filters let it skip row groups of compacted files without reading them). */
export function subjectFilter(s: ArchiveSubject) {
  const anon = { anon_id: { $in: s.anonIds } };
  return s.userId ? { $or: [anon, { user_id: { $eq: s.userId } }] } : anon;
}
export const isSubjects = (s: ArchiveSubject) => {
  const anon = new Set(s.anonIds);
  return (r: { anon_id?: unknown; user_id?: unknown }) => (typeof r.anon_id === 'string' && anon.has(r.anon_id)) || (!!s.userId && r.user_id === s.userId);
};

const ATTEMPTS = 5;

/**
 * Rewrites one Parquet object without `drop`'s rows, as a compare-and-swap on the version read: when something else
 * rewrote it meanwhile (a compaction dropping other erased subjects, another erasure), the write fails and the object
 * is read again, so no writer ever puts back rows another one removed. Deletes the object when nothing is left.
 * Returns the rows removed (0 when none matched) and whether the object went with them; null when it is gone. Throws
 * UnreadableObject when the object isn't readable Parquet (left as it is).
 */
export async function rewriteWithout(
  bucket: R2Bucket,
  start: { key: string; size: number; etag: string },
  drop: (r: ArchivedEvent) => boolean,
  probe?: ReturnType<typeof subjectFilter>,
): Promise<{ removed: number; deleted: boolean } | null> {
  let obj: { key: string; size: number; etag: string } | null = start;
  let failedRead: ReadFailed | null = null;
  for (let i = 0; i < ATTEMPTS && obj; i++) {
    try {
      const file = await openParquet(bucket, obj);
      if (!file) return null;
      // Cheap first: the two id columns (with the probe, only row groups whose bloom filters may hold the subject).
      const key = obj.key;
      const metadata = await parsing(key, () => fileMetadata(file));
      if (probe && (await parsing(key, () => decodeParquet(file, { columns: ['anon_id', 'user_id'], filter: probe, metadata }))).length === 0) {
        return { removed: 0, deleted: false };
      }
      const rows = await parsing(key, () => decodeParquet(file, { metadata }));
      const keep = rows.filter((r) => !drop(r));
      if (keep.length === rows.length) return { removed: 0, deleted: false };
      if (keep.length === 0) {
        // Nothing to keep: whatever version is there now holds at most these rows, so deleting it loses nothing else.
        await bucket.delete(obj.key);
        return { removed: rows.length, deleted: true };
      }
      const name = parseKey(obj.key)!.name;
      const put = await putParquet(bucket, obj.key, keep, { compacted: !name.startsWith('p-'), onlyIf: { etagMatches: obj.etag } });
      if (put) return { removed: rows.length - keep.length, deleted: false };
    } catch (err) {
      // The object changed under the read (read it again), or R2 failed to serve a range (try again, up to ATTEMPTS).
      if (err instanceof ReadFailed) failedRead = err;
      else if (!(err instanceof ObjectChanged)) throw err;
    }
    const head = await bucket.head(start.key);
    obj = head && { key: head.key, size: head.size, etag: head.etag };
  }
  if (!obj) return null;
  throw failedRead ?? new Error(`archive object ${start.key} kept changing while it was being rewritten; try again`);
}

/**
 * Erases the subject from the site's archive: every Parquet object that holds it is rewritten without its rows (or
 * deleted when nothing is left), and so is every object of the old NDJSON archive not yet converted. Cost: one list
 * page per 1,000 objects, and per object its footer and two id columns (compacted files: bloom filters first). An object
 * that isn't readable Parquet is counted in `objects_unreadable` with its key, and the others are erased all the same.
 */
export async function eraseFromArchive(bucket: R2Bucket, s: ArchiveSubject): Promise<ArchiveReport> {
  const report: ArchiveReport = { objects_scanned: 0, objects_rewritten: 0, objects_deleted: 0, records_removed: 0, objects_unreadable: 0 };
  const mine = isSubjects(s);
  const probe = subjectFilter(s);
  for await (const obj of listAll(bucket, sitePrefix(s.siteId))) {
    if (!parseKey(obj.key)) continue;
    report.objects_scanned++;
    let r: Awaited<ReturnType<typeof rewriteWithout>>;
    try {
      r = await rewriteWithout(bucket, obj, mine, probe);
    } catch (err) {
      if (!(err instanceof UnreadableObject)) throw err;
      // The rest of the archive is still erased; this object is reported (response and log), never silently passed over.
      report.objects_unreadable++;
      if ((report.unreadable_keys ??= []).length < 100) report.unreadable_keys.push(obj.key);
      console.error(JSON.stringify({ level: 'error', msg: 'erasure: unreadable archive object', site: s.siteId, key: obj.key, error: err.message }));
      continue;
    }
    if (!r?.removed) continue;
    report.records_removed += r.removed;
    if (r.deleted) report.objects_deleted++;
    else report.objects_rewritten++;
  }
  for await (const obj of listAll(bucket, legacyPrefix(s.siteId))) {
    report.objects_scanned++;
    const r = await eraseFromLegacy(bucket, obj, mine, s);
    report.records_removed += r.removed;
    if (r.outcome === 'rewritten') report.objects_rewritten++;
    if (r.outcome === 'deleted') report.objects_deleted++;
  }
  return report;
}

/** An NDJSON object of the old archive, filtered line by line (a compare-and-swap too). */
async function eraseFromLegacy(bucket: R2Bucket, obj: R2Object, mine: (r: ArchivedEvent) => boolean, s: ArchiveSubject) {
  const needles = [...s.anonIds, ...(s.userId ? [s.userId] : [])].map((x) => JSON.stringify(x));
  for (let i = 0; i < ATTEMPTS; i++) {
    const body = await bucket.get(obj.key);
    if (!body) return { removed: 0, outcome: 'gone' as const };
    const text = await readLegacyText(obj.key, body);
    if (!needles.some((x) => text.includes(x))) return { removed: 0, outcome: 'kept' as const };
    const lines = text.split('\n').filter(Boolean);
    const keep = lines.filter((line) => !mine(JSON.parse(line) as ArchivedEvent));
    if (keep.length === lines.length) return { removed: 0, outcome: 'kept' as const };
    if (!keep.length) {
      await bucket.delete(obj.key);
      return { removed: lines.length, outcome: 'deleted' as const };
    }
    const put = await bucket.put(obj.key, await packLegacy(obj.key, keep.join('\n') + '\n'), {
      httpMetadata: body.httpMetadata,
      customMetadata: { ...body.customMetadata, events: String(keep.length) },
      onlyIf: { etagMatches: body.etag },
    });
    if (put) return { removed: lines.length - keep.length, outcome: 'rewritten' as const };
  }
  throw new Error(`archive object ${obj.key} kept changing while it was being rewritten; try again`);
}
