import type { FieldError } from '../../../shared/schema';
import type { SiteConfig } from '../config/schema';
import { linkIdentity, traitsStatement } from '../identity/links';
import { allowedTraits, MAX_TRAITS_BYTES } from '../identity/rules';
import type { SegmentMessage } from './message';
import { fitProps } from './props';

export type IdentityOutcome = { ok: true; refusedTraits: string[] } | { ok: false; error: FieldError };

/**
 * What `identify` and `alias` from a site's back end (a server write key) do to the identity graph, by the graph's own
 * rules (identity/links.ts, as for `tp.identify`): an anonymous id belongs to at most one user and is never relinked,
 * a user gains at most 10 devices an hour, every attempt is recorded. The write key is the proof — it stands where the
 * identity token and the browser secret stand for the snippet — so links are `verified`. Erased ids never get here
 * (judge.ts drops them first), and nor does anything without analytics consent for its subject.
 *
 * - `identify` with `anonymousId` and `userId` links them; with `userId` only it updates the user's traits;
 * - `alias` links `previousId` (the anonymous id, as Segment uses alias on sign-up) to `userId`: a user id can't be
 *   merged into another (the graph has no user-to-user links), so a previousId that is a user id only gains a link
 *   nobody's events carry;
 * - traits: flat (nested values as JSON text), personal ones only where the site's `allowed_traits` lists them,
 *   ≤ 8 KiB; refused names are answered.
 * Written at once, like `/v1/identify`: a link decides what the events after it in the same batch are attributed to.
 */
export async function applyIdentity(db: D1Database, site: SiteConfig, m: SegmentMessage, linkedUser: string | undefined, now: number): Promise<IdentityOutcome> {
  if (m.type !== 'identify' && m.type !== 'alias') return { ok: true, refusedTraits: [] };
  const userId = m.userId;
  let traits: Record<string, unknown> | undefined;
  let refused: string[] = [];
  if (m.type === 'identify' && userId) {
    const fitted = fitProps(m.traits);
    const split = allowedTraits(fitted.props, site.allowed_traits);
    refused = [...split.refused, ...fitted.dropped];
    if (Object.keys(split.keep).length) traits = split.keep;
    if (traits && JSON.stringify(traits).length > MAX_TRAITS_BYTES) {
      return { ok: false, error: { code: 'invalid_field', message: `traits: at most ${MAX_TRAITS_BYTES} bytes`, field: 'traits' } };
    }
  }
  const anonId = m.type === 'alias' ? m.previousId : m.anonymousId;
  if (!userId) return { ok: true, refusedTraits: [] };
  if (!anonId || linkedUser === userId) {
    // Already linked (a retried batch, a returning login): no new attempt, which would spend the id's identify rate.
    if (traits) await traitsStatement(db, site.id, userId, JSON.stringify(traits), now).run();
    return { ok: true, refusedTraits: refused };
  }
  const r = await linkIdentity(db, { siteId: site.id, anonId, userId, verified: true, traits, now, method: m.type === 'alias' ? 'server_alias' : 'server_identify' });
  if (!r.ok) return { ok: false, error: { code: r.code, message: r.message, field: m.type === 'alias' ? 'previousId' : 'anonymousId' } };
  return { ok: true, refusedTraits: refused };
}
