import { httpUrl } from '../../../shared/rules';
import type { Campaign } from './campaign';
import { campaignFrom } from './campaign';
import { geoFrom, type Geo } from './geo';
import { parseAgent, type Agent } from './user-agent';

/**
 * Enrichment for events a back end sends on someone's behalf (the Segment-compatible API). The request itself says
 * nothing about the person — its IP, User-Agent and `request.cf` are the sender's server — so everything comes from the
 * call's `context`, through the same parsers as the snippet's requests:
 * - `context.userAgent` → browser, OS, device class and the bot flag (ua-parser-js, isbot); without one (a back end, a
 *   mobile SDK) `context.os.name` and `context.device.type`, and never the bot flag: no agent is not a bot here;
 * - `context.location` (`country` as ISO 3166 alpha-2, `region`, `city`) and `context.timezone`, checked as `request.cf` is;
 * - `context.campaign` (Segment's names: `source`, `medium`, `name`, `term`, `content`) → `utm_*`, else the page URL's;
 * - `context.ip` is never read: no IP is stored, and no IP-derived hash is needed where ids exist. `context.locale` has no
 *   column (the snippet doesn't store the language either).
 */
export type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown, max = 256): string | null => (typeof v === 'string' && v.length > 0 ? v.slice(0, max) : null);

export function serverAgent(context: Json): Agent {
  const ua = str(context.userAgent, 1024);
  if (ua) return parseAgent(ua);
  const type = str(context.device && obj(context.device).type)?.toLowerCase() ?? null;
  const device = type === 'ios' || type === 'android' || type === 'mobile' || type === 'phone' ? 'mobile' : type === 'tablet' ? 'tablet' : type === 'desktop' ? 'desktop' : 'other';
  return { browser: null, os: str(obj(context.os).name, 64), device, bot: false };
}

export function serverGeo(context: Json): Geo {
  const loc = obj(context.location);
  return geoFrom({ country: loc.country, region: loc.region, city: loc.city, timezone: context.timezone });
}

/** The page the call happened on (`context.page.url`, or a page call's own `properties.url`), if an http(s) URL. */
export function pageUrlOf(context: Json, properties: Json = {}): URL | null {
  const raw = str(properties.url, 4096) ?? str(obj(context.page).url, 4096);
  return raw ? httpUrl(raw) : null;
}

export function serverCampaign(context: Json, page: URL | null): Campaign | null {
  const c = obj(context.campaign);
  const fromContext: Campaign = {
    utm_source: str(c.source),
    utm_medium: str(c.medium),
    utm_campaign: str(c.name),
    utm_term: str(c.term),
    utm_content: str(c.content),
    click_id: null,
  };
  const fromPage = page ? campaignFrom(page) : null;
  const any = Object.values(fromContext).some((v) => v !== null);
  if (!any) return fromPage && Object.values(fromPage).some((v) => v !== null) ? fromPage : null;
  return { ...fromContext, click_id: fromPage?.click_id ?? null };
}
