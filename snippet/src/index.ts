import { EVENT, PATH, type Props, type WireEvent } from '../../shared/wire';
import { installApi } from './api';
import { hideBanner, mountBanner, openPanel, showBanner } from './banner';
import { runBlocked } from './blocker';
import { captureClicks } from './capture/clicks';
import { captureEngagement, sendEngagement, whenHidden } from './capture/engagement';
import { abandonForms, captureForms } from './capture/forms';
import { captureImpressions, resetImpressions } from './capture/impressions';
import { capturePageviews, pageviewId, view } from './capture/pageviews';
import { captureScroll, resetScroll } from './capture/scroll';
import { captureShare } from './capture/share';
import type { Emit } from './capture/types';
import { cats, consentToken, decide as record, decided, gpc, gpcOverrides, granted, initConsent, state, type ConsentState } from './consent';
import { consentDefault, consentUpdate } from './consent-mode';
import { ensureAnon, forget, getAnon, getUser, rotate, sessionId, setUser, type Anon } from './identity';
import { load } from './lazy';
import { fetchConfig, readSettings } from './settings';
import { flush, initTransport, purge, push, resend, settle } from './transport';
import { cleanUrl, D, now, on, post, safe, uuid } from './util';

async function start(): Promise<void> {
  const s = readSettings();
  if (!s) return;
  const ready = installApi();
  const cfg = await fetchConfig(s);
  consentDefault(cfg.gcm);
  initConsent(s, cfg, navigator.globalPrivacyControl === true);
  const analytics = () => granted('analytics');
  const listeners: ((st: ConsentState | null) => void)[] = [];

  initTransport(s.api, () => {
    const anon = analytics() && getAnon();
    if (!anon) return { s: s.site };
    return { s: s.site, a: anon.a, ss: sessionId(), u: getUser() ?? undefined };
  }, consentToken);

  /** A new anonymous id outside a consent decision (logout, another user, erase): its secret is registered for /v1/me. */
  const fresh = (): Anon => {
    const a = rotate();
    post(s.api + PATH.me, { s: s.site, ...a }).catch(() => {});
    return a;
  };
  /** Logout or erase: a fresh anonymous id, or none at all without analytics consent. */
  const renew = () => (analytics() ? fresh() : forget());

  /**
   * Nothing is sent for a category before consent. Until the page's first decision, events wait in
   * memory (never on the device), at most 50: the decision sends those it allows and drops the rest.
   * Cookieless sites send bare page views at once.
   */
  let pageProps: Props | undefined;
  let held: WireEvent[] | 0 = decided() ? 0 : [];
  const emit: Emit = (n, p, c = 'analytics', r, x, rv) => {
    // Unset keys are undefined, which JSON leaves out.
    const e: WireEvent = { i: uuid(), n, c, ts: now(), u: cleanUrl(location.href, cfg.hash), r, x, rv, pv: pageviewId, p: p ?? (n == EVENT.pageview ? pageProps : undefined) };
    if (granted(c)) push(e);
    // A cookieless page view (not granted) is bare: no page-view id and no props, nothing that links it to other events.
    else if (cfg.cl && c == 'analytics' && n == EVENT.pageview) push({ ...e, pv: undefined, p: undefined });
    else if (held && held.length < 50) held.push(e);
  };
  const endPage = () => {
    sendEngagement();
    abandonForms();
  };
  capturePageviews(emit, cfg.hash, () => {
    endPage();
    resetScroll();
    resetImpressions();
  });
  captureScroll(emit);
  captureEngagement(emit);
  captureForms(emit, granted);
  captureImpressions(emit);
  captureClicks(emit);
  captureShare(emit);
  whenHidden(() => {
    endPage();
    flush();
  });

  const effects = () => {
    consentUpdate(granted);
    runBlocked(granted);
    if (analytics()) ensureAnon();
    else {
      // Withdrawal: our identifiers, and anything still queued under them, go now.
      forget();
      void purge((e) => granted(e.c));
    }
  };

  const decide = (choice: Record<string, boolean>, m: 'banner' | 'preferences' | 'api' | 'gpc'): ConsentState => {
    const before = analytics();
    flush();
    const st = record(choice, m, ('analytics' in choice ? choice.analytics : before) ? ensureAnon() : null);
    hideBanner();
    effects();
    // The page's first decision: what was held goes where it allows (the page view included, so it counts once).
    const wait = held;
    held = 0;
    if (wait) {
      for (const e of wait) if (granted(e.c)) push(e);
    }
    // Analytics granted later on this page: its page view counts now (cookieless sites already sent it).
    else if (!before && analytics() && !cfg.cl) view(true);
    for (const fn of listeners) safe(fn)(st);
    D.dispatchEvent(new CustomEvent('tp:consent', { detail: st }));
    return st;
  };
  const all = (v: boolean, m: 'banner' | 'api' = 'api') => decide(Object.fromEntries(cats.map((c) => [c, v])), m);

  mountBanner(cfg, (v) => all(v, 'banner'), {
    ...s,
    cats,
    granted,
    gpc,
    save: (g) => decide(g, 'preferences'),
    anon: getAnon,
    settle,
    async erased() {
      await purge(() => false);
      renew();
    },
  });
  on(D, 'click', (e: Event) => (e.target as Element)?.closest?.('[data-tp-preferences]') && openPanel());

  if (decided()) {
    if (gpcOverrides()) decide({ marketing: false, personalization: false }, 'gpc');
    else effects();
    // Consent stands: batches an earlier page could not deliver go now.
    if (analytics()) void resend();
  } else showBanner();
  view();

  ready({
    // {revenue: {amount, currency}} travels as rv {a, c}; the collector validates it and stores it in exact minor units.
    track: (n, p, o) => typeof n == 'string' && emit(n, p, o?.category ?? 'analytics', undefined, 1, o?.revenue && { a: o.revenue.amount, c: o.revenue.currency }),
    anonymousId: () => (analytics() && getAnon()?.a) || null,
    page(p?: Props) {
      pageProps = p;
      view(true);
      pageProps = undefined;
    },
    // Events so far belong to whoever was here before the login: sent now, under the current ids.
    identify: (u, o) => (flush(), load(s.api).then((m) => m.identify({ ...s, analytics, user: getUser, setUser, fresh, ensureAnon, token: consentToken }, u, o), () => ({ ok: false, reason: 'network' }))),
    reset() {
      flush();
      renew();
    },
    on: (type, fn) => type == 'consent' && typeof fn == 'function' && listeners.push(fn as any),
    flush: settle,
    'consent.get': state,
    'consent.set': (c) => decide(c ?? {}, 'api'),
    'consent.acceptAll': () => all(true),
    'consent.rejectAll': () => all(false),
    'consent.open': openPanel,
  });
}

start().catch((e) => DEBUG && console.warn('[tp]', e));
