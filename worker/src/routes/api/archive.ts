import { Hono } from 'hono';
import type { Context } from 'hono';
import { authorize } from '../../auth/api-key';
import type { AppEnv } from '../../env';
import { apiError } from '../../http/errors';
import { dateProblem } from '../../query/time';
import { datePrefix, parseKey, PARQUET_TYPE, sitePrefix } from '../../storage/archive';
import { rowsOf } from '../../storage/r2-file';

const PAGE = 1000;

/** `?from=` / `?to=` as a calendar day (the archive's partition grain), or undefined when absent. */
function day(c: Context<AppEnv>, field: 'from' | 'to'): string | undefined {
  const v = c.req.query(field);
  if (v === undefined || v === '') return undefined;
  const why = dateProblem(v);
  if (why) throw apiError(400, 'invalid_field', `${field}: ${why}`, field);
  return v;
}

/**
 * The site's open archive (CONTRACT §7), for the site's own tools (`npm run archive:pull`, DuckDB, pandas, Spark):
 * - `GET /api/v1/archive?site_id=&from=&to=&cursor=` — its Parquet objects, days `from`…`to` (inclusive), in key order:
 *   `{"objects": [{"key", "date", "rows", "size"}], "next_cursor"}` (1,000 a page; pass `cursor` for the next);
 * - `GET /api/v1/archive/object?site_id=&key=` — one of them, as stored (`Range` requests answered with 206, so engines
 *   that read Parquet over HTTP fetch only the footer and the columns they need).
 * Keys are checked against the one shape the archive writes, for the authorized site only: another site's key is a
 * 403, anything else a 404 — no path is ever built from what the caller sent.
 */
export const archiveRoute = new Hono<AppEnv>()
  .get('/api/v1/archive', async function listArchive(c) {
    const siteId = await authorize(c, c.req.query('site_id'));
    const from = day(c, 'from');
    const to = day(c, 'to');
    if (from && to && from > to) throw apiError(400, 'invalid_field', 'from must not be after to', 'from');
    const cursor = c.req.query('cursor');
    if (cursor !== undefined && parseKey(cursor)?.site !== siteId) throw apiError(400, 'invalid_field', 'cursor must be the next_cursor of a previous page', 'cursor');
    // Keys sort by day: start right before `from`'s partition (or after the cursor) and stop past `to`.
    const startAfter = cursor ?? (from ? datePrefix(siteId, from).slice(0, -1) : undefined);
    const objects: { key: string; date: string; rows: number | null; size: number }[] = [];
    let next: string | null = null;
    let r2cursor: string | undefined;
    outer: do {
      const page = await c.env.ARCHIVE.list({
        prefix: sitePrefix(siteId),
        limit: PAGE,
        ...(r2cursor ? { cursor: r2cursor } : startAfter ? { startAfter } : {}),
        include: ['customMetadata'],
      });
      r2cursor = page.truncated ? page.cursor : undefined;
      for (const o of page.objects) {
        const k = parseKey(o.key);
        if (!k) continue;
        if (to && k.date > to) break outer;
        if (objects.length === PAGE) {
          next = objects.at(-1)!.key;
          break outer;
        }
        objects.push({ key: o.key, date: k.date, rows: rowsOf(o), size: o.size });
      }
    } while (r2cursor);
    return c.json({ objects, next_cursor: next }, 200, { 'Cache-Control': 'no-store' });
  })
  .get('/api/v1/archive/object', async function getArchiveObject(c) {
    const siteId = await authorize(c, c.req.query('site_id'));
    const key = c.req.query('key') ?? '';
    const k = parseKey(key);
    if (!k) throw apiError(404, 'not_found', 'no such archive object: keys look like events/site=<site>/date=<YYYY-MM-DD>/<name>.parquet', 'key');
    if (k.site !== siteId) throw apiError(403, 'forbidden', `this object belongs to another site than "${siteId}"`, 'key');
    const range = c.req.header('range');
    const obj = await c.env.ARCHIVE.get(key, range ? { range: c.req.raw.headers } : {});
    if (!obj) throw apiError(404, 'not_found', 'no such archive object (compaction may have merged it: list the archive again)', 'key');
    const headers: Record<string, string> = {
      'Content-Type': PARQUET_TYPE,
      ETag: obj.httpEtag,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'private, no-store',
      'Content-Disposition': `attachment; filename="${k.date}-${k.name}.parquet"`,
    };
    const r = obj.range as { offset?: number; length?: number } | undefined;
    if (range && r && r.offset !== undefined && r.length !== undefined) {
      headers['Content-Range'] = `bytes ${r.offset}-${r.offset + r.length - 1}/${obj.size}`;
      headers['Content-Length'] = String(r.length);
      return c.body(obj.body, 206, headers);
    }
    headers['Content-Length'] = String(obj.size);
    return c.body(obj.body, 200, headers);
  });
