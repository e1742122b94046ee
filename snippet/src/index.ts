import { EVENT, PATHS, type Props, type WireEvent } from '../../shared/wire';
import { installApi } from './api';
import { createBanner } from './banner';
import { runBlocked } from './blocker';
import { captureClicks } from './capture/clicks';
import { createEngagement, hidden } from './capture/engagement';
import { createForms } from './capture/forms';
import { createImpressions } from './capture/impressions';
import { createPageviews } from './capture/pageviews';
import { createScroll } from './capture/scroll';
import type { Emit } from './capture/types';
import { createConsent, type ConsentState } from './consent';
import { createConsentMode } from './consent-mode';
import { createIdentity } from './identity';
import { fetchConfig, readSettings } from './settings';
import { createTransport } from './transport';
import { D, now, on, safe, uuid } from './util';

async function start(): Promise<void> {
  const s = readSettings();
  if (!s) return;
  const ready = installApi();
  const cfg = await fetchConfig(s);
  const gcm = createConsentMode(cfg.gcm);
  gcm.init();
  const consent = createConsent(s, cfg, navigator.globalPrivacyControl === true);
  const id = createIdentity();
  const transport = createTransport(s.api, consent.token);
  const analytics = () => consent.granted('analytics');

  transport.setEnvelope(() => {
    const anon = analytics() ? id.anon() : null;
    if (!anon) return { s: s.site };
    const u = id.user();
    return { s: s.site, a: anon.a, ss: id.session(), ...(u ? { u } : {}) };
  });

  let pageviews: ReturnType<typeof createPageviews>;
  /** Nothing is sent for a category before consent; cookieless sites send bare page views. */
  const emit: Emit = (n, p, c = 'analytics', r, x) => {
    if (!consent.granted(c) && !(cfg.cl && c === 'analytics' && n === EVENT.pageview)) return;
    const e: WireEvent = { i: uuid(), n, c, ts: now(), u: location.href, pv: pageviews.id() };
    if (r !== undefined) e.r = r;
    if (p) e.p = p;
    if (x) e.x = 1;
    transport.push(e);
  };
  let pageProps: Props | undefined;
  pageviews = createPageviews((n, p, c, r) => emit(n, p ?? pageProps, c, r), cfg.hash);
  const scroll = createScroll(emit);
  const engagement = createEngagement(emit, scroll.depth);
  const forms = createForms(emit, consent.granted);
  const impressions = createImpressions(emit);
  captureClicks(emit);
  pageviews.beforeNext((prev) => {
    if (!prev) return;
    engagement.send();
    forms.abandon();
    scroll.reset();
    impressions.reset();
  });
  hidden(() => {
    engagement.send();
    forms.abandon();
    transport.flush();
  });

  const effects = (st: ConsentState | null) => {
    gcm.update(consent.granted);
    runBlocked(consent.granted);
    if (!st) return;
    if (analytics()) id.ensure();
    else {
      // Withdrawal: our identifiers and anything still queued under them go, now.
      id.forget();
      void transport.purge((e) => consent.granted(e.c));
    }
  };

  const decide = (choice: Record<string, boolean>, m: 'banner' | 'preferences' | 'api'): ConsentState => {
    const before = analytics();
    transport.flush();
    const grantsAnalytics = 'analytics' in choice ? !!choice.analytics : before;
    const st = consent.decide(choice, m, grantsAnalytics ? id.ensure() : null);
    banner.hide();
    effects(st);
    // The page view the visitor was on when they agreed counts, once (cookieless sites already sent it).
    if (!before && analytics() && !cfg.cl) pageviews.view(true);
    return st;
  };
  const banner = createBanner(cfg, consent, decide);
  on(D, 'click', (e: Event) => (e.target as Element)?.closest?.('[data-tp-preferences]') && banner.open());

  const listeners: ((s: ConsentState | null) => void)[] = [];
  consent.on((st) => listeners.forEach((fn) => safe(fn)(st)));

  if (consent.decided()) {
    consent.applyGpc();
    effects(consent.get());
    if (analytics() && (await transport.hasOutbox())) void transport.resend();
  } else banner.show();
  pageviews.view();

  ready({
    track: (n, p, o) => emit(n, p, o?.category ?? 'analytics', undefined, 1),
    page(p) {
      pageProps = p;
      pageviews.view(true);
      pageProps = undefined;
    },
    async identify(userId, o = {}) {
      if (!analytics()) return { ok: false, reason: 'no_consent' };
      if (!userId) return { ok: false, reason: 'invalid_user_id' };
      const current = id.user();
      if (current === userId) return { ok: true };
      transport.flush();
      // Another user on this device: never merge into their anonymous history.
      const anon = current ? id.rotate() : id.ensure();
      id.setUser(userId);
      try {
        const r = await fetch(`${s.api}${PATHS.identify}`, {
          method: 'POST',
          credentials: 'omit',
          keepalive: true,
          body: JSON.stringify({ s: s.site, a: anon.a, u: userId, tk: o.token, tr: o.traits, t: await consent.token() }),
        });
        const body = (await r.json().catch(() => ({}))) as { error?: { code?: string } };
        return r.ok ? { ok: true } : { ok: false, reason: body.error?.code ?? `http_${r.status}` };
      } catch {
        return { ok: false, reason: 'network' };
      }
    },
    reset() {
      transport.flush();
      if (analytics()) id.rotate();
      else id.forget();
    },
    get: consent.get,
    set: (c) => decide(c, 'api'),
    all: (v) => decide(Object.fromEntries(consent.cats.map((c) => [c, v])), 'api'),
    open: banner.open,
    on: (type, fn) => type === 'consent' && typeof fn === 'function' && listeners.push(fn),
    flush: () => transport.settle(),
  });
}

start().catch((e) => DEBUG && console.warn('[tp]', e));
