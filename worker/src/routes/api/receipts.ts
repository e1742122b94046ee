import { Hono } from 'hono';
import { authorize } from '../../auth/api-key';
import type { AppEnv } from '../../env';
import { queryLimit } from '../../http/api-request';
import { apiError } from '../../http/errors';
import { parseInstant } from './export';

/**
 * GET /api/v1/consent/receipts?site_id=&from=&to=&cursor=&limit= — the append-only consent receipts,
 * evidence of consent, oldest first by decision time. `latest=1` keeps only the current state per
 * consent id (its newest receipt).
 */
export const receiptsRoute = new Hono<AppEnv>().get('/api/v1/consent/receipts', async function exportReceipts(c) {
  const siteId = await authorize(c, c.req.query('site_id'));
  const from = parseInstant(c.req.query('from'), 'from', 0);
  const to = parseInstant(c.req.query('to'), 'to', Number.MAX_SAFE_INTEGER);
  const limit = queryLimit(c, 1000, 5000);
  const cursor = c.req.query('cursor') ?? '';
  const m = cursor ? /^(\d{1,15})\.([A-Za-z0-9_-]{8,64})$/.exec(cursor) : null;
  if (cursor && !m) throw apiError(400, 'invalid_field', 'cursor must be the next_cursor of a previous page', 'cursor');
  const latest = c.req.query('latest') === '1';
  const { results } = await c.env.DB.prepare(
    `SELECT receipt_id, consent_id, granted, denied, policy_version, method, gpc, ts, received_at, anon_id FROM consent_receipts r
     WHERE site_id = ?1 AND ts >= ?2 AND ts < ?3 AND (ts > ?4 OR (ts = ?4 AND receipt_id > ?5))
     ${latest ? 'AND NOT EXISTS (SELECT 1 FROM consent_receipts n WHERE n.site_id = r.site_id AND n.consent_id = r.consent_id AND (n.ts > r.ts OR (n.ts = r.ts AND n.receipt_id > r.receipt_id)))' : ''}
     ORDER BY ts, receipt_id LIMIT ?6`,
  )
    .bind(siteId, from, to, m ? Number(m[1]) : -1, m ? m[2] : '', limit)
    .all<{ receipt_id: string; ts: number; granted: string; denied: string; gpc: number }>();
  const last = results.at(-1);
  return c.json({
    receipts: results.map((r) => ({ ...r, granted: JSON.parse(r.granted), denied: JSON.parse(r.denied), gpc: r.gpc === 1 })),
    next_cursor: results.length === limit && last ? `${last.ts}.${last.receipt_id}` : null,
  });
});
