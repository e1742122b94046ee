import type { SiteConfig } from '../config/schema';
import type { Permission } from '../consent/enforce';
import type { BatchEnvelope } from '../../../shared/schema';
import type { BatchContext } from '../storage/messages';
import { geoFrom } from './geo';
import type { Agent } from './user-agent';
import { dailySalt, visitorHash } from './visitor-hash';

/**
 * The per-request half of enrichment: geo, agent, consent and identifiers.
 * Identifiers exist only under analytics consent; cookieless events carry none, only the
 * daily-salted hash. The IP is used for that hash and then forgotten.
 */
export async function batchContext(
  req: Request,
  db: D1Database,
  site: SiteConfig,
  batch: BatchEnvelope,
  perm: Permission,
  agent: Agent,
  now: number,
): Promise<BatchContext> {
  const ip = req.headers.get('cf-connecting-ip') ?? req.headers.get('x-real-ip') ?? '';
  const ua = req.headers.get('user-agent') ?? '';
  const identified = perm.granted.has('analytics');
  const geo = geoFrom(req.cf);
  const anon_id = identified ? batch.a ?? null : null;
  const session_id = identified ? batch.ss ?? null : null;
  return {
    anon_id,
    user_id: null,
    session_id,
    // The IP-derived hash only where nothing else tells visitors and visits apart: with an anonymous id
    // and a session id (consented snippet traffic) it would never be read, so it is not kept.
    visitor_hash: anon_id && session_id ? null : await visitorHash(await dailySalt(db, now), site.id, ip, ua),
    ...geo,
    browser: agent.browser,
    os: agent.os,
    device: agent.device,
    bot: agent.bot ? 1 : 0,
    cookieless: identified ? 0 : 1,
    consent: [...perm.granted].sort().join(','),
  };
}
