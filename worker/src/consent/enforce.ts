import type { SiteConfig } from '../config/schema';
import type { ConsentClaims } from './token';

/** Categories a GPC signal denies unless the visitor granted them explicitly while sending it. */
export const GPC_DENIED = ['marketing', 'personalization'];

export interface Permission {
  /** categories events may be stored under */
  granted: Set<string>;
  /** no analytics consent, but the site counts page views without identifiers */
  cookieless: boolean;
  /** why categories were withheld, for logs and counters */
  notes: string[];
}

/**
 * What a batch may store, from the verified token only — never from the client's claims.
 * `Sec-GPC: 1` denies marketing and personalization unless the decision in the token was made
 * while the signal was present (the visitor saw it honoured, then chose otherwise).
 */
export function permission(site: SiteConfig, claims: ConsentClaims | null, gpcHeader: boolean): Permission {
  const notes: string[] = [];
  const granted = new Set<string>();
  if (claims) {
    if (claims.v !== site.policy_version) notes.push('stale_policy');
    else for (const g of claims.g) if (site.categories.some((c) => c.id === g)) granted.add(g);
  }
  if (gpcHeader && !(claims && claims.gpc === 1 && claims.m !== 'gpc')) {
    for (const c of GPC_DENIED) if (granted.delete(c)) notes.push(`gpc_${c}`);
  }
  return { granted, cookieless: !granted.has('analytics') && site.cookieless, notes };
}
