import { CONFIG } from '../config/sites';
import { sha256Hex } from '../crypto/hmac';
import type { Env } from '../env';
import { erasedAmong, type Scope } from '../privacy/tombstones';
import { byPartition, datePrefix, objectKey, putParquet, sitePrefix, utcDate, type StoredObject } from '../storage/archive';
import { legacyPrefix, legacyRow, parseLegacyKey, readLegacyText } from '../storage/archive-legacy';
import { decodeParquet, type ArchivedEvent } from '../storage/parquet';
import { deleteKeys, listAll, listDates, ObjectChanged, openParquet, parsing, rowsOf, UnreadableObject } from '../storage/r2-file';
import { rewriteWithout } from './erase';

/**
 * Compaction: the consumer writes one small part per invocation and day (seconds apart on a busy site), which readers
 * pay for per file (a footer, a request). The hourly cron merges each day's small objects into files of up to
 * TARGET_ROWS rows, sorted by time, with full statistics and bloom filters (storage/parquet.ts), and converts what is
 * left of the old gzip NDJSON archive on the way.
 *
 * Erasure safety. Compaction reads parts, writes a merged file, then deletes the parts; an erasure rewrites every file
 * that holds the subject. Either may run while the other is half done. The rule that keeps an erased subject from coming
 * back: **the merged file is checked against the tombstones only after it is written**. An erasure writes its
 * tombstones (D1) before it lists the archive (R2, strongly consistent), so either
 * - its tombstones committed before the check: the check sees them and rewrites the merged file without those rows;
 * - or after: then its listing comes after the merged file was written, so the erasure itself finds and filters it.
 * Parts deleted afterwards hold nothing the merged file doesn't (minus erased rows). Every rewrite is a compare-and-swap
 * on the ETag read (archive/erase.ts `rewriteWithout`), so two writers never undo each other's removals; deleting a part
 * an erasure just rewrote loses nothing, since its rows are in the merged file.
 */
export const TARGET_ROWS = 100_000;
/** Objects below this are merged; a file that reached it is left alone (no day is rewritten over and over). */
const SMALL_ROWS = TARGET_ROWS / 2;
/** Rows merged per site and run (~1.5 s of CPU per 100,000: test/bench/parquet.mjs); the rest waits an hour. */
const RUN_ROWS = 400_000;
/** Legacy NDJSON objects converted per site and run. */
const RUN_LEGACY = 500;
const DAY = 86_400_000;

export interface CompactionReport {
  site: string;
  legacy_converted: number;
  partitions: number;
  merged_objects: number;
  written_objects: number;
  rows: number;
  erased_rows: number;
  complete: boolean;
}

/** The distinct anonymous and user ids of rows: what the tombstone check hashes. */
/** The rows' anonymous ids and user ids, each as its own kind of subject. */
function idsOf(rows: readonly ArchivedEvent[]): { id: string; scope: Scope }[] {
  const ids = new Map<string, { id: string; scope: Scope }>();
  for (const r of rows) {
    if (r.anon_id) ids.set(`anon:${r.anon_id}`, { id: r.anon_id, scope: 'anon' });
    if (r.user_id) ids.set(`user:${r.user_id}`, { id: r.user_id, scope: 'user' });
  }
  return [...ids.values()];
}

/** After writing `out`: drop the rows of subjects erased so far (see the module comment for why it must come after). */
async function dropErased(env: Env, site: string, out: StoredObject, rows: readonly ArchivedEvent[]): Promise<number> {
  const erased = await erasedAmong(env.DB, site, idsOf(rows));
  if (!erased.size) return 0;
  const dead = (r: ArchivedEvent) => (!!r.anon_id && erased.has(`anon:${r.anon_id}`)) || (!!r.user_id && erased.has(`user:${r.user_id}`));
  return (await rewriteWithout(env.ARCHIVE, out, dead))?.removed ?? 0;
}

/**
 * dropErased, or — when it can't complete (R2 failing, the file changing under it again and again) — the new file goes
 * again: it is a copy of inputs that still exist, and it must not stay unchecked.
 */
async function checked(env: Env, site: string, out: StoredObject, rows: readonly ArchivedEvent[]): Promise<number> {
  try {
    return await dropErased(env, site, out, rows);
  } catch (err) {
    await env.ARCHIVE.delete(out.key);
    throw err;
  }
}

/**
 * Reads the objects (skipping any that changed since listed: the next run takes them, and any that isn't readable Parquet),
 * dedupes by event id.
 */
async function readAll(bucket: R2Bucket, objects: readonly R2Object[]): Promise<{ rows: ArchivedEvent[]; used: R2Object[] }> {
  const rows: ArchivedEvent[] = [];
  const seen = new Set<string>();
  const used: R2Object[] = [];
  for (const obj of objects) {
    let part: ArchivedEvent[];
    try {
      const file = await openParquet(bucket, obj);
      if (!file) continue;
      part = await parsing(obj.key, () => decodeParquet(file));
    } catch (err) {
      if (err instanceof ObjectChanged) continue;
      if (!(err instanceof UnreadableObject)) throw err;
      // Left where it is, out of the merge: the day's other parts are still compacted.
      console.error(JSON.stringify({ level: 'error', msg: 'compaction: unreadable archive object left in place', key: obj.key, error: err.message }));
      continue;
    }
    for (const r of part) {
      if (seen.has(r.id)) continue; // a redelivered batch in another composition, or a part rewritten after a merge
      seen.add(r.id);
      rows.push(r);
    }
    used.push(obj);
  }
  return { rows, used };
}

/** Merges objects of one day into one file, then deletes them. Returns rows written and erased rows dropped. */
async function merge(env: Env, site: string, date: string, objects: readonly R2Object[]): Promise<{ rows: number; erased: number; merged: number }> {
  const { rows, used } = await readAll(env.ARCHIVE, objects);
  if (used.length < 2) return { rows: 0, erased: 0, merged: 0 };
  rows.sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1)); // time-sorted: tight ts bounds per row group
  // Named after its inputs: a run that died after writing it rewrites the same file instead of a second copy.
  const name = `c-${(await sha256Hex(used.map((o) => `${o.key}@${o.etag}`).sort().join('\n'))).slice(0, 24)}`;
  const out = (await putParquet(env.ARCHIVE, objectKey(site, date, name), rows, { compacted: true }))!;
  const erased = await checked(env, site, out, rows);
  // A day of many small parts can be more than the 1,000 keys one R2 delete takes.
  await deleteKeys(env.ARCHIVE, used.map((o) => o.key).filter((k) => k !== out.key));
  return { rows: rows.length - erased, erased, merged: used.length };
}

/** Rows of an object: its metadata, or for an object written without it, a guess from its size (~20 bytes a row). */
const rowsEstimate = (o: R2Object): number => rowsOf(o) ?? Math.ceil(o.size / 20);

/** Packs small objects (in listing order) into groups of at most TARGET_ROWS rows. */
function plan(objects: readonly R2Object[]): R2Object[][] {
  const small = objects.filter((o) => rowsEstimate(o) < SMALL_ROWS);
  const groups: R2Object[][] = [];
  let group: R2Object[] = [];
  let n = 0;
  for (const o of small) {
    const rows = rowsEstimate(o);
    if (group.length && n + rows > TARGET_ROWS) {
      groups.push(group);
      group = [];
      n = 0;
    }
    group.push(o);
    n += rows;
  }
  if (group.length) groups.push(group);
  return groups.filter((g) => g.length >= 2);
}

/**
 * Converts objects of the old NDJSON archive (`events/<site>/YYYY/MM/DD/HH/…`) into Parquet parts of the days their
 * events belong to (`l-<hash of the old key>`, merged by the compaction that follows), then deletes them. Checked
 * against the tombstones after writing, like a merge: an erasure running meanwhile can't be undone by it.
 */
async function convertLegacy(env: Env, site: string, max: number): Promise<{ converted: number; erased: number; complete: boolean; days: Set<string> }> {
  let converted = 0;
  let erased = 0;
  const days = new Set<string>();
  for await (const obj of listAll(env.ARCHIVE, legacyPrefix(site))) {
    if (converted >= max) return { converted, erased, complete: false, days };
    const at = parseLegacyKey(obj.key);
    const body = at && (await env.ARCHIVE.get(obj.key));
    if (!at || !body) continue;
    const tag = (await sha256Hex(obj.key)).slice(0, 24);
    const rows = (await readLegacyText(obj.key, body))
      .split('\n')
      .filter(Boolean)
      .map((line, i) => {
        const row = legacyRow({ site_id: site, ...(JSON.parse(line) as Record<string, unknown>) });
        return typeof row.id === 'string' ? row : { ...row, id: `legacy-${tag}-${i}` };
      });
    for (const g of byPartition(rows).values()) {
      const out = (await putParquet(env.ARCHIVE, objectKey(site, g.date, `l-${tag}`), g.rows))!;
      erased += await checked(env, site, out, g.rows);
      days.add(g.date);
    }
    await env.ARCHIVE.delete(obj.key);
    converted++;
  }
  return { converted, erased, complete: true, days };
}

/**
 * Which days a run looks at. Parts only appear in the days the consumer still accepts events for (7 days back), so every
 * run lists those (and the days legacy objects were just converted into); the older days once a day, at 03:xx UTC, for
 * what an interrupted run or a shrinking erasure left — not 395 list calls a site every hour. `all` (tests, a manual run): every day.
 */
const wanted = (date: string, now: number, legacyDays: Set<string>, all: boolean) =>
  all || legacyDays.has(date) || date >= utcDate(now - 8 * DAY) || new Date(now).getUTCHours() === 3;

/** One site: legacy objects first (their parts join this run's merges), then every day with small objects. */
export async function compactSite(env: Env, site: string, { now = Date.now(), all = false }: { now?: number; all?: boolean } = {}): Promise<CompactionReport> {
  const legacy = await convertLegacy(env, site, RUN_LEGACY);
  const report: CompactionReport = {
    site, legacy_converted: legacy.converted, partitions: 0, merged_objects: 0, written_objects: 0, rows: 0, erased_rows: legacy.erased, complete: legacy.complete,
  };
  for (const date of await listDates(env.ARCHIVE, sitePrefix(site))) {
    if (!wanted(date, now, legacy.days, all)) continue;
    const objects: R2Object[] = [];
    for await (const o of listAll(env.ARCHIVE, datePrefix(site, date))) objects.push(o);
    const groups = plan(objects);
    if (groups.length) report.partitions++;
    for (const g of groups) {
      if (report.rows >= RUN_ROWS) return { ...report, complete: false };
      const m = await merge(env, site, date, g);
      if (!m.merged) continue;
      report.merged_objects += m.merged;
      report.written_objects++;
      report.rows += m.rows;
      report.erased_rows += m.erased;
    }
  }
  return report;
}

/** The hourly cron's call: every configured site, logged; a site that fails is logged and retried next hour. */
export async function compactArchive(env: Env, now = Date.now()): Promise<CompactionReport[]> {
  const reports: CompactionReport[] = [];
  for (const site of Object.keys(CONFIG.sites)) {
    try {
      reports.push(await compactSite(env, site, { now }));
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', msg: 'archive compaction failed; next run retries', site, error: String(err) }));
    }
  }
  console.log(JSON.stringify({ level: 'info', msg: 'archive compaction', sites: reports }));
  return reports;
}
