import { Hono } from 'hono';
import { identifySchema } from '../../../../shared/schema';
import { requireSecret } from '../../config/secrets';
import { permission } from '../../consent/enforce';
import { verifyToken } from '../../consent/token';
import { fromHex, hmacSha256, timingSafeEqual } from '../../crypto/hmac';
import type { AppEnv } from '../../env';
import { apiError, rateLimited } from '../../http/errors';
import { siteRequest } from '../../http/site-request';
import { linkIdentity, recordAttempt } from '../../identity/links';
import { requireBrowser } from '../../privacy/browser-proof';
import { isTombstoned } from '../../privacy/tombstones';
import { allowedTraits, illegalUserId, MAX_TRAITS_BYTES } from '../../identity/rules';

/**
 * POST /v1/identify — `tp.identify(userId, {token, traits})`. Links the browser's anonymous id to
 * the user only when: the request proves it comes from that browser (its secret `k`; an erased id
 * answers 410, so the snippet starts a new one), the user was not erased, analytics consent is
 * granted (by the signed consent token), the user id is a real one, the identity token matches the
 * site's secret (when it has one: otherwise the link is marked unverified), and the graph's rules
 * and rate limits allow it. Refusals are 4xx; those after the proof are recorded (before it, the
 * anonymous id is only a claim, and recording under it would let anyone spend its rate limit).
 */
export const identifyRoute = new Hono<AppEnv>().post('/v1/identify', async function identify(c) {
  const now = Date.now();
  const { data, site } = await siteRequest(c, identifySchema);
  // Consent first: without it nothing is written, not even the browser secret's registration.
  const consent = data.t ? await verifyToken(requireSecret(c.env, 'TP_CONSENT_KEY'), data.t, site.id, Math.floor(now / 1000)) : null;
  const perm = permission(site, consent?.ok ? consent.claims : null, c.req.header('sec-gpc') === '1');
  if (!perm.granted.has('analytics')) throw apiError(403, 'no_consent', 'identify needs analytics consent (a valid consent token in t)', 't');

  await requireBrowser(c.env.DB, site.id, data.a, data.k, now);
  const attempt = { siteId: site.id, anonId: data.a, userId: data.u, now };
  const refuse = async (status: 400 | 401 | 403, code: string, message: string, field: string) => {
    await recordAttempt(c.env.DB, attempt, `refused_${code}`);
    console.log(JSON.stringify({ level: 'info', msg: 'identify refused', site: site.id, code }));
    return apiError(status, code, message, field);
  };

  const why = illegalUserId(data.u);
  if (why) throw await refuse(400, 'invalid_user_id', `user id refused: ${why}`, 'u');

  // A site that names an identity secret is verified; a missing secret fails closed (requireSecret throws).
  const secret = site.identity_secret_env ? requireSecret(c.env, site.identity_secret_env) : undefined;
  if (secret) {
    if (!data.token) throw await refuse(401, 'identity_token_required', 'this site verifies identities: send token = hex(HMAC-SHA256(userId, identity secret))', 'token');
    const given = fromHex(data.token);
    const expected = await hmacSha256(secret, data.u);
    if (!given || !timingSafeEqual(given, expected)) throw await refuse(401, 'invalid_identity_token', 'the identity token does not match this user id', 'token');
  }

  // After the identity token: only the site's own back end learns that a user id was erased.
  if (await isTombstoned(c.env.DB, site.id, data.u, 'user')) throw apiError(403, 'user_erased', 'this user id was erased; it is never linked again', 'u');

  let traits: Record<string, unknown> | undefined;
  let refusedTraits: string[] = [];
  if (data.traits) {
    if (JSON.stringify(data.traits).length > MAX_TRAITS_BYTES) throw await refuse(400, 'invalid_field', `traits: at most ${MAX_TRAITS_BYTES} bytes`, 'traits');
    const split = allowedTraits(data.traits, site.allowed_traits);
    traits = split.keep;
    refusedTraits = split.refused;
  }

  const result = await linkIdentity(c.env.DB, { ...attempt, verified: !!secret, traits });
  if (!result.ok) {
    console.log(JSON.stringify({ level: 'info', msg: 'identify refused', site: site.id, code: result.code }));
    if (result.status === 429) throw rateLimited(result.message, 'a', result.retryAfterS ?? 3600);
    throw apiError(result.status, result.code, result.message, 'a');
  }
  return c.json({ linked: true, created: result.created, verified: result.verified, traits_stored: result.traitsStored, refused_traits: refusedTraits });
});
