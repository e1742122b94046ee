import { datePrefix, sitePrefix, utcDate } from '../storage/archive';
import { legacyPrefix, parseLegacyKey } from '../storage/archive-legacy';
import { deleteKeys, listAll, listDates } from '../storage/r2-file';

/**
 * Retention by whole partitions: every day before `cutoff`'s day goes (objects of a partition are listed and deleted
 * 1,000 at a time), and old NDJSON objects once their receive hour is past it. Returns the objects deleted.
 */
export async function expireArchive(bucket: R2Bucket, site: string, cutoff: number): Promise<number> {
  const first = utcDate(cutoff);
  let deleted = 0;
  const drop = async (keys: string[]) => {
    await deleteKeys(bucket, keys);
    deleted += keys.length;
  };
  for (const d of await listDates(bucket, sitePrefix(site))) {
    if (d >= first) break;
    const keys: string[] = [];
    for await (const o of listAll(bucket, datePrefix(site, d))) keys.push(o.key);
    await drop(keys);
  }
  const old: string[] = [];
  for await (const o of listAll(bucket, legacyPrefix(site))) {
    const at = parseLegacyKey(o.key);
    if (at && at.hour + 3_600_000 <= cutoff) old.push(o.key);
  }
  await drop(old);
  return deleted;
}
