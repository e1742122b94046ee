import { LIMITS } from '../../../shared/limits';
import { textProblem } from '../../../shared/rules';
import { EVENT, type Props } from '../../../shared/wire';
import type { SiteConfig } from '../config/schema';
import { sha256Hex } from '../crypto/hmac';
import { classify } from '../enrich/referrer';
import { pageUrlOf, serverAgent, serverCampaign, serverGeo } from '../enrich/server-context';
import { cleanProps, cleanUrl } from '../enrich/url';
import { allowedTraits } from '../identity/rules';
import type { BatchContext, EnrichedEvent } from '../storage/messages';
import type { SegmentMessage } from './message';
import { fitProps } from './props';

/**
 * A stored call as an event row, the same columns as the snippet's (storage/messages.ts), `sent_from = 'server'`:
 * - `track` → a custom event (`custom = 1`) named as sent;
 * - `page` → a `pageview` (URL, path and referrer from its properties or `context.page`);
 * - `screen` → a `pageview` too, so apps count in pageviews, pages, entry pages and funnels: its path is
 *   `screen:<name>` (no web path starts so) and `props.screen` the name;
 * - `identify`, `alias`, `group` → events of those names (the login or merge in a timeline); identify's traits go to the
 *   profile (`user_traits`), never into the row; group's row carries `group_id` and its traits (trait rules applied).
 * `user_id` is set here only when the call names no anonymous id (the back end names its own user); with one, the
 * consumer takes the user from the identity graph at insert time, as for the snippet's events.
 * Server events have no browser session: each subject's server events of one UTC day form one visit
 * (`session_id` `srv-<day>-<hash of the subject>`), so they don't join or split the browser's visits.
 */
const NULL_CAMPAIGN = { utm_source: null, utm_medium: null, utm_campaign: null, utm_term: null, utm_content: null, click_id: null };
/** classify() judges "internal" referrers against the page's host; a call without a page has none to match. */
const NO_PAGE = new URL('https://no-page.invalid/');
/** Page properties that are columns (or, like the query string and title, never stored: the snippet keeps neither). */
const PAGE_KEYS = new Set(['url', 'path', 'referrer', 'search', 'title', 'name', 'screen']);

export interface Mapped {
  event: EnrichedEvent;
  ctx: BatchContext;
  /** property keys left out (see props.ts) */
  leftOut: string[];
  bot: boolean;
}

export interface MapInput {
  site: SiteConfig;
  m: SegmentMessage;
  category: string;
  granted: string[];
  revenue: number | null;
  currency: string | null;
  /** the subject's server visit of that day (`serverSession`) */
  session: (subject: string, day: string) => Promise<string>;
}

const sessions = new Map<string, string>();
/** `srv-<YYYYMMDD>-<16 hex of SHA-256 of the subject>`, memoised per isolate (a back end names the same people all day). */
export async function serverSession(subject: string, day: string): Promise<string> {
  const key = `${day}\t${subject}`;
  let s = sessions.get(key);
  if (!s) {
    s = `srv-${day.replaceAll('-', '')}-${(await sha256Hex(`tp-server-visit:${subject}`)).slice(0, 16)}`;
    if (sessions.size >= 4096) sessions.delete(sessions.keys().next().value as string);
    sessions.set(key, s);
  }
  return s;
}

function text(v: unknown, max: number): string | null {
  return typeof v === 'string' && v.length > 0 && !textProblem(v, max) ? v : null;
}

export async function mapMessage({ site, m, category, granted, revenue, currency, session }: MapInput): Promise<Mapped> {
  const ctxIn = m.context;
  const page = (ctxIn.page ?? {}) as Record<string, unknown>;
  const isPage = m.type === 'page' || m.type === 'screen';
  const url = pageUrlOf(ctxIn, m.type === 'page' ? m.properties : {});
  const rawReferrer = isPage ? text(m.properties.referrer, LIMITS.urlLength) ?? text(page.referrer, LIMITS.urlLength) : null;
  const referrer = rawReferrer ? cleanUrl(rawReferrer, site.hash_routing) : null;
  const campaign = serverCampaign(ctxIn, url);
  const src = isPage || campaign ? classify(referrer ?? undefined, url ?? NO_PAGE, campaign ?? NULL_CAMPAIGN) : null;

  let path = url ? cleanUrl(url.pathname) : '';
  if (m.type === 'page') path = cleanUrl(text(m.properties.path, LIMITS.urlLength) ?? path);
  if (m.type === 'screen') path = `screen:${m.name ?? ''}`;

  let source: Record<string, unknown> = {};
  const skip = new Set(['revenue', 'currency']);
  if (category === m.properties.category) skip.add('category');
  if (m.type === 'track') source = m.properties;
  else if (isPage) {
    // The page's or screen's name first, then its other properties but those stored as columns (or never).
    const named = m.name ? { [m.type === 'screen' ? 'screen' : 'name']: m.name } : {};
    source = { ...named, ...Object.fromEntries(Object.entries(m.properties).filter(([k]) => !PAGE_KEYS.has(k) && !(k in named))) };
  } else if (m.type === 'group') {
    source = { group_id: m.groupId, ...allowedTraits(m.traits, site.allowed_traits).keep };
  }
  const fitted = fitProps(source, skip);
  const props: Props = cleanProps(fitted.props, site.hash_routing);

  const anon = m.type === 'alias' ? m.previousId : m.anonymousId;
  const subject = anon ?? m.userId ?? m.id;
  const agent = serverAgent(ctxIn);
  const ctx: BatchContext = {
    anon_id: anon,
    user_id: anon ? null : m.userId,
    session_id: await session(subject, new Date(m.ts).toISOString().slice(0, 10)),
    visitor_hash: null,
    ...serverGeo(ctxIn),
    browser: agent.browser,
    os: agent.os,
    device: agent.device,
    bot: agent.bot ? 1 : 0,
    cookieless: 0,
    consent: granted.join(','),
  };
  const event: EnrichedEvent = {
    id: m.id,
    name: m.type === 'track' ? m.name! : isPage ? EVENT.pageview : m.type,
    custom: m.type === 'track' ? 1 : 0,
    category,
    ts: m.ts,
    url: url ? cleanUrl(url.href, site.hash_routing) : '',
    path,
    referrer,
    ref_host: src?.referrerHost ?? null,
    source: src?.source ?? null,
    medium: src?.medium ?? null,
    ...(campaign ?? NULL_CAMPAIGN),
    pageview_id: null,
    props: Object.keys(props).length ? JSON.stringify(props) : null,
    sent_from: 'server',
    revenue,
    currency,
  };
  return { event, ctx, leftOut: fitted.dropped, bot: agent.bot };
}
