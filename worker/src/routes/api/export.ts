import { Hono } from 'hono';
import { authorize } from '../../auth/api-key';
import type { AppEnv } from '../../env';
import { queryLimit } from '../../http/api-request';
import { apiError } from '../../http/errors';
import { dateProblem } from '../../query/time';
import { getSite } from '../../config/sites';
import { rawFrom } from '../../storage/hot-window';

const MAX_LIMIT = 1000;

/** Parses a date or datetime (ISO 8601) or epoch ms into epoch ms. */
export function parseInstant(value: string | undefined, field: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw apiError(400, 'invalid_field', `${field} must be an ISO 8601 date/time or epoch milliseconds`, field);
  // Date.parse rolls 2026-02-30 over to March 2nd: the calendar part must be a real day.
  const day = /^\d{4}-\d{2}-\d{2}/.exec(value)?.[0];
  const why = day && dateProblem(day);
  if (why) throw apiError(400, 'invalid_field', `${field}: ${why}`, field);
  return n;
}

/**
 * GET /api/v1/events?site_id=&from=&to=&cursor=&limit=&format=json|ndjson — the raw export.
 * Ordered by insertion sequence, so the cursor is stable while events keep arriving:
 * a row inserted after a page was read always sorts after that page's cursor.
 */
export const exportRoute = new Hono<AppEnv>().get('/api/v1/events', async function exportEvents(c) {
  const siteId = await authorize(c, c.req.query('site_id'));
  const from = parseInstant(c.req.query('from'), 'from', 0);
  const to = parseInstant(c.req.query('to'), 'to', Number.MAX_SAFE_INTEGER);
  const cursorRaw = c.req.query('cursor') ?? '0';
  if (!/^\d{1,15}$/.test(cursorRaw)) throw apiError(400, 'invalid_field', 'cursor must be the next_cursor of a previous page', 'cursor');
  const limit = queryLimit(c, 100, MAX_LIMIT);
  const format = c.req.query('format') ?? 'json';
  if (format !== 'json' && format !== 'ndjson') throw apiError(400, 'invalid_field', 'format must be json or ndjson', 'format');

  const { results } = await c.env.DB.prepare(
    `SELECT * FROM events WHERE site_id = ?1 AND seq > ?2 AND ts >= ?3 AND ts < ?4 ORDER BY seq LIMIT ?5`,
  )
    .bind(siteId, Number(cursorRaw), from, to, limit)
    .all<Record<string, unknown> & { seq: number; props: string | null }>();
  const events = results.map(({ seq: _seq, visitor_hash: _h, ...row }) => ({ ...row, props: row.props ? JSON.parse(row.props) : {} }));
  const next = results.length === limit ? String(results[results.length - 1]!.seq) : null;
  // D1 keeps raw events for the hot window only: an export asked for more says where the rest is.
  const hot = await rawFrom(c.env.DB, siteId);
  const warning = hot !== undefined && from < hot ? `events before ${new Date(hot).toISOString().slice(0, 10)} are in the Parquet archive only (GET /api/v1/archive)` : null;
  if (format === 'ndjson') {
    return c.body(events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : ''), 200, {
      'Content-Type': 'application/x-ndjson',
      ...(next ? { 'X-Next-Cursor': next } : {}),
      ...(warning ? { 'X-TP-Warning': warning } : {}),
    });
  }
  return c.json({ events, next_cursor: next, ...(warning ? { warnings: [warning] } : {}) });
});
