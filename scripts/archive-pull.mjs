// `npm run archive:pull -- --site demo --out DIR [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--api ORIGIN] [--key KEY]`
// Mirrors a site's Parquet archive (CONTRACT §7) into DIR, keeping its layout (DIR/events/site=<site>/date=<day>/<name>.parquet),
// through the collector's API: GET /api/v1/archive to list, GET /api/v1/archive/object for each file. The API key comes
// from --key or TP_API_KEY (default in local development: dev-admin-key); the collector from --api (default
// http://127.0.0.1:8787). A mirror, not an accumulation: a local file the archive no longer has (compaction merged it,
// an erasure emptied it) is deleted, so a directory pulled again never counts an event twice or keeps an erased one.
// Then: duckdb -c "SELECT count(*) FROM read_parquet('DIR/events/*/*/*.parquet', hive_partitioning = true)"
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** The one key shape the archive writes: checked before any local path is built from what a server sent. */
const KEY = /^events\/site=([a-z0-9][a-z0-9_-]{0,62})\/date=(\d{4}-\d{2}-\d{2})\/([A-Za-z0-9_-]{1,80})\.parquet$/;

/**
 * @param {{ site: string, out: string, api?: string, key?: string, from?: string, to?: string, log?: (line: string) => void }} opts
 * @returns {Promise<{ objects: number, rows: number, bytes: number, deleted: string[], files: string[] }>}
 */
export async function pullArchive({ site, out, api = 'http://127.0.0.1:8787', key = process.env.TP_API_KEY ?? 'dev-admin-key', from, to, log = () => {} }) {
  const headers = { authorization: `Bearer ${key}` };
  const listed = [];
  for (let cursor = null; ; ) {
    const q = new URLSearchParams({ site_id: site, ...(from ? { from } : {}), ...(to ? { to } : {}), ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${api}/api/v1/archive?${q}`, { headers });
    if (!res.ok) throw new Error(`GET /api/v1/archive: ${res.status} ${await res.text()}`);
    const page = await res.json();
    listed.push(...page.objects);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  const files = [];
  let rows = 0;
  let bytes = 0;
  for (const o of listed) {
    const m = KEY.exec(o.key);
    if (!m || m[1] !== site) throw new Error(`the collector listed an unexpected key: ${JSON.stringify(o.key)}`);
    const res = await fetch(`${api}/api/v1/archive/object?${new URLSearchParams({ site_id: site, key: o.key })}`, { headers });
    // Gone since the listing (merged by the compaction cron): the next pull lists the merged file instead.
    if (res.status === 404) continue;
    if (!res.ok) throw new Error(`GET /api/v1/archive/object ${o.key}: ${res.status} ${await res.text()}`);
    const body = new Uint8Array(await res.arrayBuffer());
    const file = path.join(out, ...o.key.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    // Written aside and renamed: a reader of DIR never sees half a file.
    writeFileSync(`${file}.part`, body);
    renameSync(`${file}.part`, file);
    files.push(file);
    rows += o.rows ?? 0;
    bytes += body.length;
    log(`${o.key}  ${o.rows ?? '?'} rows  ${body.length} bytes`);
  }
  // Mirror: drop local files of the pulled days that the archive no longer has.
  const keep = new Set(files);
  const deleted = [];
  const siteDir = path.join(out, 'events', `site=${site}`);
  let days = [];
  try {
    days = readdirSync(siteDir);
  } catch {
    /* nothing pulled before */
  }
  for (const d of days) {
    const day = /^date=(\d{4}-\d{2}-\d{2})$/.exec(d)?.[1];
    if (!day || (from && day < from) || (to && day > to)) continue;
    for (const f of readdirSync(path.join(siteDir, d))) {
      const file = path.join(siteDir, d, f);
      if (f.endsWith('.parquet') && !keep.has(file) && statSync(file).isFile()) {
        rmSync(file);
        deleted.push(file);
        log(`deleted ${path.relative(out, file)} (no longer in the archive)`);
      }
    }
  }
  return { objects: files.length, rows, bytes, deleted, files };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { site: { type: 'string' }, out: { type: 'string' }, api: { type: 'string' }, key: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  });
  if (!values.site || !values.out) {
    console.error('usage: npm run archive:pull -- --site <site id> --out <dir> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--api http://127.0.0.1:8787] [--key <api key>]');
    process.exit(2);
  }
  try {
    const r = await pullArchive({ ...values, log: (line) => console.log(line) });
    console.log(`${r.objects} objects, ${r.rows} rows, ${r.bytes} bytes in ${path.resolve(values.out)}${r.deleted.length ? `; ${r.deleted.length} stale files deleted` : ''}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
