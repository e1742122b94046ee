import { EVENT, type WireEvent } from '../../../shared/wire';
import type { EnrichedEvent } from '../storage/messages';
import { campaignFrom } from './campaign';
import { classify } from './referrer';

/** The per-event half of enrichment: path, and for page views the source and campaign. */
export function enrichEvent(e: WireEvent): EnrichedEvent {
  const url = new URL(e.u);
  const isPageview = e.n === EVENT.pageview;
  const campaign = isPageview ? campaignFrom(e.u) : null;
  const src = isPageview && campaign ? classify(e.r, e.u, campaign) : null;
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
