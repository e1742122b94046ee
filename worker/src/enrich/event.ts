import { EVENT, type WireEvent } from '../../../shared/wire';
import type { EnrichedEvent } from '../storage/messages';
import { campaignFrom } from './campaign';
import { classify } from './referrer';

/** The per-event half of enrichment: path, and for page views the source and campaign. `url` is `e.u` parsed. */
export function enrichEvent(e: WireEvent, url: URL): EnrichedEvent {
  const isPageview = e.n === EVENT.pageview;
  const campaign = isPageview ? campaignFrom(url) : null;
  const src = isPageview && campaign ? classify(e.r, url, campaign) : null;
  return {
    id: e.i,
    name: e.n,
    custom: e.x === 1 ? 1 : 0,
    category: e.c,
    ts: e.ts,
    url: e.u,
    path: url.pathname,
    referrer: e.r || null,
    ref_host: src?.referrerHost ?? null,
    source: src?.source ?? null,
    medium: src?.medium ?? null,
    utm_source: campaign?.utm_source ?? null,
    utm_medium: campaign?.utm_medium ?? null,
    utm_campaign: campaign?.utm_campaign ?? null,
    utm_term: campaign?.utm_term ?? null,
    utm_content: campaign?.utm_content ?? null,
    click_id: campaign?.click_id ?? null,
    pageview_id: e.pv ?? null,
    props: e.p && Object.keys(e.p).length ? JSON.stringify(e.p) : null,
  };
}
