import type { SiteConfig } from '../config/schema';
import { GRANT_TTL_S, REFUSAL_TTL_S } from './token';

/**
 * Consent on record, for events that arrive without a browser's token (the Segment-compatible API): the subject's
 * latest decision as this collector recorded it.
 *
 * - An **anonymous id**: the latest decision (`consent_state`) among the consent ids whose receipts granted it analytics
 *   (`consent_receipts.anon_id`). A later narrowing by that consent id counts, even though its receipt names no
 *   anonymous id (receipts only name one when analytics is granted).
 * - A **user id**: the latest decision among all the browsers linked to it (`identity_links`): the person's most recent
 *   choice, on whichever device they made it, wins — withdrawing on the phone stops server events about them, and a
 *   grant on a new laptop after a refusal elsewhere allows them again.
 *
 * A decision grants nothing when it was made under an older policy version (the browser would ask again) or has outlived
 * a token's lifetime (12 months for a grant, 6 for a refusal). Decisions of method `gpc` never grant marketing or
 * personalization: the receipt already stores them denied.
 */
export interface Decision {
  consent_id: string;
  receipt_id: string;
  granted: string[];
  decided_at: number;
  policy_version: string;
}

export interface DecisionRow extends Decision {
  kind: 'a' | 'u';
  subject: string;
}

/** One statement for every subject of a request: rows (kind a|u, subject, decision), each subject's candidates. */
export function decisionsStatement(db: D1Database, siteId: string, anonIds: string[], userIds: string[]): D1PreparedStatement {
  return db
    .prepare(
      `WITH a AS (
         SELECT DISTINCT r.anon_id AS subject, r.consent_id FROM consent_receipts r
         WHERE r.site_id = ?1 AND r.anon_id IN (SELECT value FROM json_each(?2))
       ), u AS (
         SELECT DISTINCT l.user_id AS subject, r.consent_id FROM identity_links l
         JOIN consent_receipts r ON r.site_id = l.site_id AND r.anon_id = l.anon_id
         WHERE l.site_id = ?1 AND l.user_id IN (SELECT value FROM json_each(?3))
       ), subjects AS (SELECT 'a' AS kind, subject, consent_id FROM a UNION ALL SELECT 'u', subject, consent_id FROM u)
       SELECT b.kind, b.subject, s.consent_id, s.receipt_id, s.granted, s.decided_at, x.policy_version
       FROM subjects b
       JOIN consent_state s ON s.site_id = ?1 AND s.consent_id = b.consent_id
       JOIN consent_receipts x ON x.site_id = ?1 AND x.receipt_id = s.receipt_id`,
    )
    .bind(siteId, JSON.stringify(anonIds), JSON.stringify(userIds));
}

/** The latest decision per subject (ties: the larger receipt id, as the receipts API orders them). */
export function latestDecisions(rows: (Omit<DecisionRow, 'granted'> & { granted: string })[]): { anon: Map<string, Decision>; user: Map<string, Decision> } {
  const anon = new Map<string, Decision>();
  const user = new Map<string, Decision>();
  for (const r of rows) {
    const into = r.kind === 'a' ? anon : user;
    const had = into.get(r.subject);
    if (had && (had.decided_at > r.decided_at || (had.decided_at === r.decided_at && had.receipt_id >= r.receipt_id))) continue;
    into.set(r.subject, { consent_id: r.consent_id, receipt_id: r.receipt_id, granted: JSON.parse(r.granted) as string[], decided_at: r.decided_at, policy_version: r.policy_version });
  }
  return { anon, user };
}

/** Why nothing is granted: no decision on record (or declared), a decision under an old policy, an expired one. */
export type NoGrant = 'no_consent' | 'stale_policy' | 'expired';
export type Grant = { ok: true; granted: Set<string>; decision?: Decision } | { ok: false; reason: NoGrant; decision?: Decision };

function valid(site: SiteConfig, d: Decision, now: number): NoGrant | null {
  if (d.policy_version !== site.policy_version) return 'stale_policy';
  const ttl = (d.granted.length ? GRANT_TTL_S : REFUSAL_TTL_S) * 1000;
  return d.decided_at + ttl <= now ? 'expired' : null;
}

/** `server_consent: "recorded"`: what the subject's latest decision grants. */
export function recordedGrant(site: SiteConfig, d: Decision | undefined, now: number): Grant {
  if (!d) return { ok: false, reason: 'no_consent' };
  const problem = valid(site, d, now);
  if (problem) return { ok: false, reason: problem, decision: d };
  return { ok: true, granted: new Set(d.granted.filter((g) => site.categories.some((c) => c.id === g))), decision: d };
}

/**
 * `server_consent: "declared"`: what Segment's `context.consent.categoryPreferences` grants (its keys are the site's
 * category ids, compared without case: `Analytics` is `analytics`; other keys are ignored), minus what a decision
 * recorded here denies — withdrawal and GPC-derived refusals win over whatever a sender declares.
 */
export function declaredGrant(site: SiteConfig, prefs: unknown, d: Decision | undefined, now: number): Grant {
  if (typeof prefs !== 'object' || prefs === null || Array.isArray(prefs)) return { ok: false, reason: 'no_consent' };
  const granted = new Set<string>();
  for (const [key, value] of Object.entries(prefs)) {
    const id = key.toLowerCase();
    if (value === true && site.categories.some((c) => c.id === id)) granted.add(id);
  }
  // A recorded decision still in force narrows the declaration (an expired refusal no longer speaks for anyone).
  if (d && valid(site, d, now) !== 'expired') for (const g of [...granted]) if (!d.granted.includes(g)) granted.delete(g);
  return { ok: true, granted, ...(d && { decision: d }) };
}
