import { Hono } from 'hono';
import { consentSchema } from '../../../../shared/schema';
import type { ConsentAnswer } from '../../../../shared/wire';
import { requireSecret } from '../../config/secrets';
import { GPC_DENIED } from '../../consent/enforce';
import { publicConsentId, recordDecision, type ReceiptRow } from '../../consent/record';
import { GRANT_TTL_S, REFUSAL_TTL_S, signToken } from '../../consent/token';
import type { AppEnv } from '../../env';
import { apiError } from '../../http/errors';
import { siteRequest } from '../../http/site-request';
import { requireBrowser } from '../../privacy/browser-proof';

/**
 * POST /v1/consent — records a decision as an append-only receipt, stored before the answer, and
 * answers with the signed consent token that events must carry. Proof required: the consent secret
 * (`id`, whose hash is the public consent id) for the receipt, and the browser secret `k` for the
 * anonymous id `a` it names. No IP, no User-Agent is kept; the anonymous id only when analytics was granted.
 */
export const consentRoute = new Hono<AppEnv>().post('/v1/consent', async function recordConsent(c) {
  const now = Date.now();
  const { data: d, site } = await siteRequest(c, consentSchema, 8 * 1024);
  if (d.v !== site.policy_version) {
    throw apiError(409, 'stale_policy', `policy version is ${site.policy_version}; ask the visitor again`, 'v');
  }
  const known = site.categories.map((x) => x.id);
  for (const cat of Object.keys(d.g)) {
    if (cat !== 'necessary' && !known.includes(cat)) throw apiError(400, 'unknown_category', `category must be one of: ${known.join(', ')}`, `g.${cat}`);
  }
  const gpc = d.gpc === true || c.req.header('sec-gpc') === '1';
  // A decision made automatically from GPC can't grant what GPC denies.
  const granted = known.filter((cat) => d.g[cat] === true && !(d.m === 'gpc' && GPC_DENIED.includes(cat)));
  const anon = granted.includes('analytics') ? d.a ?? null : null;
  if (anon) {
    if (!d.k) throw apiError(400, 'invalid_field', 'an anonymous id must come with its browser secret', 'k');
    await requireBrowser(c.env.DB, site.id, anon, d.k, now);
  }
  const row: ReceiptRow = {
    site_id: site.id,
    receipt_id: d.ri,
    consent_id: await publicConsentId(d.id),
    granted: JSON.stringify(granted),
    denied: JSON.stringify(known.filter((cat) => !granted.includes(cat))),
    policy_version: d.v,
    method: d.m,
    gpc: gpc ? 1 : 0,
    ts: d.ts,
    received_at: now,
    anon_id: anon,
  };
  const stored = await recordDecision(c.env.DB, row);
  const g = JSON.parse(stored.granted) as string[];
  const iat = Math.floor(now / 1000);
  const token = await signToken(requireSecret(c.env, 'TP_CONSENT_KEY'), {
    s: site.id,
    c: stored.consent_id,
    r: stored.receipt_id,
    g,
    v: stored.policy_version,
    m: d.m,
    gpc: stored.gpc,
    iat,
    exp: iat + (g.length ? GRANT_TTL_S : REFUSAL_TTL_S),
  });
  const answer: ConsentAnswer = { token, granted: g };
  return c.json(answer, 200);
});
