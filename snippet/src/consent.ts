import { PATH, type ConsentAnswer, type ConsentMethod, type SiteConfigAnswer, type WireConsent } from '../../shared/wire';
import { rotate } from './identity';
import type { Settings } from './settings';
import { drop, load, now, post, save, uuid } from './util';

/** The stored decision: first-party, necessary storage (it is the choice itself). */
interface Decision {
  id: string;
  g: Record<string, boolean>;
  v: string;
  /** categories the decision covered: a new category re-prompts */
  k: string[];
  m: ConsentMethod;
  ts: number;
  gpc: boolean;
  /** signed consent token from the collector, once the receipt was accepted */
  t?: string;
  /** receipt not yet accepted by the collector (offline): resent on next start */
  p?: WireConsent;
}

export type ConsentState = Record<string, boolean> & { necessary: true };

export const CONSENT_KEY = 'tp_consent';
const YEAR = 365 * 864e5;

/*
 * Modular consent, one decision per page: expiry and re-prompt rules, GPC, receipts and the
 * signed token that events are sent under. Module state: the snippet runs once per page.
 */
let s: Settings;
let v = '';
/** the site's optional categories, in display order */
export let cats: string[] = [];
export let gpc = false;
/** the stored decision, read at once so `tp.consent.get()` answers before the config arrives */
let d = load<Decision>(CONSENT_KEY);
let tokenWait: Promise<void> = Promise.resolve();

/** Loads the stored decision; re-prompts (forgets it) when the policy or the category set changed or it expired (12 months; a refusal after 6). */
export function initConsent(settings: Settings, cfg: SiteConfigAnswer, signal: boolean): void {
  s = settings;
  v = cfg.v;
  gpc = signal;
  cats = cfg.c;
  if (d && (d.v !== v || d.k + '' !== cats + '' || now() - d.ts > (cats.some((c) => d!.g[c]) ? YEAR : YEAR / 2))) {
    d = null;
    drop(CONSENT_KEY);
  }
  // A receipt that never reached the collector (offline) goes again now.
  if (d?.p) tokenWait = sendReceipt(d.p);
}

export const state = (): ConsentState | null => (d ? ({ ...d.g, necessary: true } as ConsentState) : null);
export const granted = (c: string): boolean => c === 'necessary' || !!d?.g[c];
export const decided = (): boolean => !!d;

/** Resolves with the token for the current decision once its receipt was answered (or failed). */
export async function consentToken(): Promise<string | undefined> {
  await tokenWait;
  return d?.t;
}

async function sendReceipt(receipt: WireConsent, again?: 1): Promise<void> {
  try {
    const r = await post(s.api + PATH.consent, receipt);
    // 410: the anonymous id it names was erased; the same decision goes again under a new one.
    if (r.status == 410 && receipt.a && !again && d) return sendReceipt((d.p = { ...receipt, ...rotate() }), 1);
    // Refused (stale policy, unknown category): ask again next time rather than loop.
    if (r.status < 500 && d?.id === receipt.id) {
      if (r.ok) d.t = ((await r.json()) as ConsentAnswer).token;
      delete d.p;
      save(CONSENT_KEY, d);
    }
  } catch {
    /* offline: d.p stays stored and is resent on the next start */
  }
}

/**
 * Records a choice: unnamed categories keep their value (off before any decision). The receipt
 * carries the anonymous id and browser secret only when analytics is granted.
 */
export function decide(choice: Record<string, boolean>, m: ConsentMethod, anon?: { a: string; k: string } | null): ConsentState {
  const g: Record<string, boolean> = {};
  for (const c of cats) g[c] = c in choice ? !!choice[c] : !!d?.g[c];
  const id = d?.id ?? uuid();
  const ts = now();
  const p: WireConsent = { s: s.site, id, ri: uuid(), g, v, m, ts, gpc, ...(g.analytics && anon) };
  save(CONSENT_KEY, (d = { id, g, v, k: cats, m, ts, gpc, p }));
  tokenWait = sendReceipt(p);
  return state()!;
}

/**
 * GPC arriving after a decision that granted marketing/personalization without the signal:
 * those categories go off, recorded as a receipt with method "gpc".
 */
export const gpcOverrides = (): boolean => gpc && !!d && !d.gpc && !!(d.g.marketing || d.g.personalization);
