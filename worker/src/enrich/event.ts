import { toMinorUnits } from '../../../shared/money';
import { EVENT, type WireEvent } from '../../../shared/wire';
import type { EnrichedEvent } from '../storage/messages';
import { campaignFrom } from './campaign';
import { classify } from './referrer';
import { cleanProps, cleanUrl } from './url';

export interface EnrichOptions {
  /** the site counts hash routes as pages (`hash_routing`): URLs keep the fragment's route (`#/cart`) */
  hashRouting?: boolean;
  /**
   * stored only by the site's cookieless mode (a page view without analytics consent): nothing that
   * could link it to other events, so no client page-view id and no props
   */
  cookieless?: boolean;
}

/**
 * The per-event half of enrichment: path, for page views the source and campaign, and every URL cleaned
 * (`url.ts`: no credentials, no query but campaign parameters, no fragment) whatever the client sent.
 * `url` is `e.u` parsed.
 */
export function enrichEvent(e: WireEvent, url: URL, { hashRouting = false, cookieless = false }: EnrichOptions = {}): EnrichedEvent {
  const isPageview = e.n === EVENT.pageview;
  const campaign = isPageview ? campaignFrom(url) : null;
  const referrer = e.r ? cleanUrl(e.r, hashRouting) : null;
  const src = isPageview && campaign ? classify(referrer ?? undefined, url, campaign) : null;
  const props = e.p && !cookieless ? cleanProps(e.p, hashRouting) : null;
  return {
    id: e.i,
    name: e.n,
    custom: e.x === 1 ? 1 : 0,
    category: e.c,
    ts: e.ts,
    url: cleanUrl(e.u, hashRouting),
    path: cleanUrl(url.pathname),
    referrer: referrer || null,
    ref_host: src?.referrerHost ?? null,
    source: src?.source ?? null,
    medium: src?.medium ?? null,
    utm_source: campaign?.utm_source ?? null,
    utm_medium: campaign?.utm_medium ?? null,
    utm_campaign: campaign?.utm_campaign ?? null,
    utm_term: campaign?.utm_term ?? null,
    utm_content: campaign?.utm_content ?? null,
    click_id: campaign?.click_id ?? null,
    pageview_id: cookieless ? null : e.pv ?? null,
    props: props && Object.keys(props).length ? JSON.stringify(props) : null,
    sent_from: 'browser',
    // Exact minor units of the event's own currency (shared/money.ts); a cookieless page view keeps nothing extra.
    revenue: e.rv && !cookieless ? toMinorUnits(e.rv.a, e.rv.c) : null,
    currency: e.rv && !cookieless ? e.rv.c : null,
  };
}
