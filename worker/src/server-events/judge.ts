import type { FieldError } from '../../../shared/schema';
import type { SiteConfig } from '../config/schema';
import { declaredGrant, recordedGrant, type Grant } from '../consent/on-record';
import type { SegmentMessage } from './message';
import type { Subjects } from './subjects';

/** Why a valid call was not stored (counted in the answer and in ingest_counts as `server_dropped_<reason>`). */
export type DropReason = 'no_consent' | 'denied' | 'stale_policy' | 'expired' | 'erased' | 'bot';

export type Judgement =
  | { kind: 'store'; category: string; granted: string[]; cs?: { c: string; r: string } }
  | { kind: 'drop'; reason: DropReason; category: string }
  | { kind: 'reject'; error: FieldError };

/**
 * The consent category of a call: `properties.category` when it names one of the site's categories (or `necessary`),
 * else `analytics`. Segment's own specs use `properties.category` for other things (a page's section, a product's
 * category: "Games"), so any other value stays an ordinary property instead of failing the call.
 * Identify, alias and group link or describe a person: always `analytics`, as `tp.identify` needs.
 */
export function categoryOf(site: SiteConfig, m: SegmentMessage): string {
  if (m.type === 'identify' || m.type === 'alias' || m.type === 'group') return 'analytics';
  const c = m.properties.category;
  return typeof c === 'string' && (c === 'necessary' || site.categories.some((x) => x.id === c)) ? c : 'analytics';
}

/**
 * Whether a call may be stored, from what the collector itself knows (never from what the sender claims):
 * 1. an erased or withdrawn id (anonymousId, userId, alias previousId) is dead: dropped, whatever the call;
 * 2. an anonymous id linked to another user than the call's userId is refused: a user id claim never takes
 *    someone else's device (the graph decides, as for `tp.identify`);
 * 3. consent: the anonymous id's latest decision when it has one, else the user's (its linked browsers'
 *    latest, see consent/on-record.ts) — or, on a `"declared"` site, the call's categoryPreferences, narrowed by what
 *    is on record. `necessary` needs no consent.
 */
export function judge(site: SiteConfig, m: SegmentMessage, subjects: Subjects, now: number): Judgement {
  const category = categoryOf(site, m);
  const anon = m.type === 'alias' ? m.previousId : m.anonymousId;
  if ((anon && subjects.dead(anon, 'anon')) || (m.userId && subjects.dead(m.userId, 'user'))) return { kind: 'drop', reason: 'erased', category };
  const owner = anon ? subjects.linkedUser(anon) : undefined;
  if (owner !== undefined && m.userId && owner !== m.userId) {
    const field = m.type === 'alias' ? 'previousId' : 'anonymousId';
    return { kind: 'reject', error: { code: 'anon_linked_to_other_user', message: 'this anonymous id belongs to another user; a user id never takes another user\'s device', field } };
  }
  const decision = (anon && subjects.anonDecision(anon)) || (m.userId ? subjects.userDecision(m.userId) : undefined);
  const prefs = (m.context.consent as { categoryPreferences?: unknown } | undefined)?.categoryPreferences;
  const grant: Grant = site.server_consent === 'declared' ? declaredGrant(site, prefs, decision, now) : recordedGrant(site, decision, now);
  const granted = grant.ok ? [...grant.granted].sort() : [];
  const cs = grant.decision && { c: grant.decision.consent_id, r: grant.decision.receipt_id };
  if (category === 'necessary' || granted.includes(category)) return { kind: 'store', category, granted, ...(cs && { cs }) };
  return { kind: 'drop', reason: grant.ok ? 'denied' : grant.reason, category };
}
