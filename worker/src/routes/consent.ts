import { Hono } from 'hono';
import { sha256Hex } from '../crypto/hmac';
import { consentSchema } from '../../../shared/schema';
import type { ConsentAnswer } from '../../../shared/wire';
import { requireSecret } from '../config/secrets';
import { GPC_DENIED } from '../consent/enforce';
import { GRANT_TTL_S, REFUSAL_TTL_S, signToken } from '../consent/token';
import type { AppEnv } from '../env';
import { apiError } from '../http/errors';
import { siteRequest } from '../http/site-request';

/**
 * POST /v1/consent — records a decision as an append-only receipt (via the queue) and answers with
 * the signed consent token that events must carry. No IP, no User-Agent is kept with the receipt;
 * the anonymous id only when analytics was granted.
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
  const denied = known.filter((cat) => !granted.includes(cat));
  const iat = Math.floor(now / 1000);
  const token = await signToken(requireSecret(c.env, 'TP_CONSENT_KEY'), {
    s: site.id,
    c: d.id,
    g: granted,
    v: d.v,
    m: d.m,
    gpc: gpc ? 1 : 0,
    iat,
    exp: iat + (granted.length ? GRANT_TTL_S : REFUSAL_TTL_S),
  });
  await c.env.EVENTS.send({
    k: 'rc',
    receipt: {
      site_id: site.id,
      receipt_id: d.ri,
      consent_id: d.id,
      granted: JSON.stringify(granted),
      denied: JSON.stringify(denied),
      policy_version: d.v,
      method: d.m,
      gpc: gpc ? 1 : 0,
      ts: d.ts,
      received_at: now,
      anon_id: granted.includes('analytics') ? d.a ?? null : null,
    },
    // The secret itself never leaves this request: only its hash is stored, by the consumer.
    ...(granted.includes('analytics') && d.a && d.k ? { secret_hash: await sha256Hex(d.k) } : {}),
  });
  const answer: ConsentAnswer = { token, granted };
  return c.json(answer, 200);
});
