import { Hono } from 'hono';
import { parseEvent } from '../../../../shared/event';
import { batchSchema, type FieldError } from '../../../../shared/schema';
import { EVENT } from '../../../../shared/wire';
import { requireSecret } from '../../config/secrets';
import { permission } from '../../consent/enforce';
import { verifyToken } from '../../consent/token';
import { batchContext } from '../../enrich/context';
import { enrichEvent } from '../../enrich/event';
import { parseAgent } from '../../enrich/user-agent';
import type { AppEnv } from '../../env';
import { apiError } from '../../http/errors';
import { siteRequest } from '../../http/site-request';
import type { EnrichedEvent } from '../../storage/messages';

export interface IngestAnswer {
  accepted: number;
  /** valid events not stored: no consent for their category, or bot traffic */
  dropped: number;
  /** why they were dropped, by reason (`consent_<category>`, `bot`): present when something was dropped */
  reasons?: Record<string, number>;
  /** what weakened the consent token, if anything (`token_expired`, `token_bad_signature`, `stale_policy`, `gpc_marketing`, …) */
  notes?: string[];
  rejected: (FieldError & { index: number })[];
}

/**
 * POST /v1/e — an event batch. Validates, applies consent from the signed token (never the client's
 * claim), enriches, and enqueues one message: no D1 write on this path. Good events survive bad
 * neighbours; the answer lists rejected indices with the reason.
 */
export const eventsRoute = new Hono<AppEnv>().post('/v1/e', async function ingestEvents(c) {
  const now = Date.now();
  const { data: batch, site } = await siteRequest(c, batchSchema);

  const token = batch.t ? await verifyToken(requireSecret(c.env, 'TP_CONSENT_KEY'), batch.t, site.id, Math.floor(now / 1000)) : null;
  const perm = permission(site, token?.ok ? token.claims : null, c.req.header('sec-gpc') === '1');
  const agent = parseAgent(c.req.header('user-agent'));
  const counts: Record<string, number> = {};
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const rejected: IngestAnswer['rejected'] = [];
  const keep: EnrichedEvent[] = [];

  batch.e.forEach((raw, index) => {
    const r = parseEvent(raw, now);
    if (!r.ok) {
      rejected.push({ index, ...r.error, field: r.error.field === undefined ? `e.${index}` : `e.${index}.${r.error.field}` });
      return;
    }
    const e = r.event;
    if (!site.categories.some((cat) => cat.id === e.c)) {
      rejected.push({ index, code: 'unknown_category', message: `category must be one of: ${site.categories.map((x) => x.id).join(', ')}`, field: `e.${index}.c` });
      return;
    }
    if (!perm.granted.has(e.c) && !(perm.cookieless && e.c === 'analytics' && e.n === EVENT.pageview)) {
      bump(`dropped_consent_${e.c}`);
      return;
    }
    if (agent.bot && site.bots === 'drop') {
      bump('dropped_bot');
      return;
    }
    // Stored only through the cookieless exception (its category not granted): a bare page view.
    keep.push(enrichEvent(e, r.url, { hashRouting: site.hash_routing, cookieless: !perm.granted.has(e.c) }));
  });
  if (rejected.length) counts.rejected = rejected.length;
  if (token && !token.ok) counts[`token_${token.reason}`] = 1;
  for (const n of perm.notes) counts[n] = 1;

  const dropped = batch.e.length - keep.length - rejected.length;
  if (dropped || rejected.length || (token && !token.ok)) {
    console.log(JSON.stringify({ level: 'info', msg: 'ingest filtered', site: site.id, accepted: keep.length, dropped, rejected: rejected.length, counts }));
  }
  if (keep.length || Object.keys(counts).length) {
    const ctx = await batchContext(c.req.raw, c.env.DB, site, batch, perm, agent, now);
    try {
      const cs = token?.ok ? { c: token.claims.c, r: token.claims.r } : undefined;
      await c.env.EVENTS.send({ k: 'ev', site: site.id, received_at: now, ctx, events: keep, counts, ...(cs && { cs }) });
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', msg: 'queue send failed', error: String(err) }));
      throw apiError(503, 'unavailable', 'the collector cannot accept events right now; retry later');
    }
  }
  const answer: IngestAnswer = { accepted: keep.length, dropped, ...explain(counts), rejected };
  if (keep.length === 0 && rejected.length > 0) {
    return c.json({ error: { code: 'invalid_events', message: 'no event in the batch is valid', field: rejected[0]!.field }, ...answer }, 400);
  }
  return c.json(answer, 202);
});

/** The answer's account of what was not stored and why, from the counters the consumer records. */
function explain(counts: Record<string, number>): Pick<IngestAnswer, 'reasons' | 'notes'> {
  const reasons: Record<string, number> = {};
  const notes: string[] = [];
  for (const [k, n] of Object.entries(counts)) {
    if (k.startsWith('dropped_')) reasons[k.slice(8)] = n;
    else if (k !== 'rejected') notes.push(k);
  }
  return { ...(Object.keys(reasons).length && { reasons }), ...(notes.length && { notes }) };
}
