import type { ConsentAnswer, ConsentMethod, SiteConfigAnswer, WireConsent } from '../../shared/wire';
import type { Settings } from './settings';
import { D, drop, load, now, safe, save, uuid } from './util';

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
type Listener = (s: ConsentState | null) => void;

const KEY = 'tp_consent';
const YEAR = 365 * 864e5;
const GPC_DENIES = ['marketing', 'personalization'];

/**
 * Modular consent: the decision, its expiry and re-prompt rules, GPC, receipts and the token
 * that events are sent under. One instance per page, created by `createConsent`.
 */
export function createConsent(s: Settings, cfg: SiteConfigAnswer, gpcSignal: boolean) {
  const cats = cfg.cats.filter((c) => !c.req).map((c) => c.id);
  const listeners: Listener[] = [];
  let tokenWait: Promise<void> = Promise.resolve();
  let d = load<Decision>(KEY);

  // Re-prompt when the policy or the category set changed, or the decision expired
  // (12 months; a refusal after 6).
  if (d) {
    const anyGranted = cats.some((c) => d!.g[c]);
    if (d.v !== cfg.v || d.k.join() !== cats.join() || now() - d.ts > (anyGranted ? YEAR : YEAR / 2)) {
      d = null;
      drop(KEY);
    }
  }

  const state = (): ConsentState | null => (d ? ({ ...d.g, necessary: true } as ConsentState) : null);

  async function sendReceipt(receipt: WireConsent): Promise<void> {
    try {
      const r = await fetch(`${s.api}/v1/consent`, { method: 'POST', body: JSON.stringify(receipt), keepalive: true, credentials: 'omit' });
      if (r.ok && d && d.id === receipt.id) {
        const a = (await r.json()) as ConsentAnswer;
        d.t = a.token;
        delete d.p;
        save(KEY, d);
      } else if (r.status >= 400 && r.status < 500 && d) {
        // Refused (stale policy, unknown category): ask again next time rather than loop.
        delete d.p;
        save(KEY, d);
      }
    } catch {
      /* offline: d.p stays stored and is resent on the next start */
    }
  }

  /**
   * Records a choice. Unnamed categories keep their value; GPC-denied ones start off unless granted.
   * Returns the new state.
   */
  function decide(choice: Record<string, boolean>, m: ConsentMethod, anon?: { a: string; k: string } | null): ConsentState {
    const g: Record<string, boolean> = {};
    for (const c of cats) g[c] = c in choice ? !!choice[c] : d ? !!d.g[c] : false;
    const id = d?.id ?? uuid();
    const ts = now();
    const receipt: WireConsent = { s: s.site, id, ri: uuid(), g, v: cfg.v, m, ts, gpc: gpcSignal };
    if (anon && g.analytics) {
      receipt.a = anon.a;
      receipt.k = anon.k;
    }
    d = { id, g, v: cfg.v, k: cats, m, ts, gpc: gpcSignal, p: receipt };
    save(KEY, d);
    tokenWait = sendReceipt(receipt);
    const st = state()!;
    for (const fn of listeners) safe(fn)(st);
    D.dispatchEvent(new CustomEvent('tp:consent', { detail: st }));
    return st;
  }

  // A receipt that never reached the collector (offline) goes again now.
  if (d?.p) tokenWait = sendReceipt(d.p);

  return {
    cats,
    get: state,
    decide,
    granted: (c: string): boolean => c === 'necessary' || !!d?.g[c],
    decided: (): boolean => !!d,
    /** Resolves when the token for the current decision is known (or its request failed). */
    token: async (): Promise<string | undefined> => {
      await tokenWait;
      return d?.t;
    },
    on: (fn: Listener) => listeners.push(fn),
    /**
     * GPC arriving after a decision that granted marketing/personalization without the signal:
     * those categories are switched off and a receipt with method "gpc" is recorded.
     */
    applyGpc(): void {
      if (gpcSignal && d && !d.gpc && GPC_DENIES.some((c) => d!.g[c])) decide({ marketing: false, personalization: false }, 'gpc');
    },
    gpc: gpcSignal,
  };
}

export type Consent = ReturnType<typeof createConsent>;
