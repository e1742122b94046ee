// The scale benchmark's Worker (npm run bench:scale): the collector itself, plus one route that stores a day of synthetic
// events with the consumer's own storage code — the `events` insert and the rollup fold in one D1 batch, the day as one
// compacted Parquet file in R2 (what the compaction cron leaves), then the hot window's trim (what the retention cron does).
// Events are generated here from their index, so the load streams: nothing but a day is ever in memory.
import worker from '../../worker/src/index';
import { objectKey, putParquet, utcDate } from '../../worker/src/storage/archive';
import { insertEvents } from '../../worker/src/storage/events-store';
import { foldVisits } from '../../worker/src/storage/visits';

const PAGES = Array.from({ length: 50 }, (_, i) => (i === 0 ? '/' : `/p/${i}`));
const SOURCES = ['search', 'social', 'email', 'referral', 'direct'];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'ES'];
/** A visit's 10 events: 3 page views, with the scrolls, clicks and engagement they cause; 5 % of visits end in a signup. */
const SHAPE = ['pageview', 'scroll', 'click', 'engagement', 'pageview', 'scroll', 'click', 'pageview', 'engagement', 'last'];

/** Event `i` of the run: its visit is i / 10; visitors return (a pool of 3/4 of the visits); times spread over the day. */
function event(site, i, dayStart, perDay, visitsTotal) {
  const v = Math.floor(i / SHAPE.length);
  const k = i % SHAPE.length;
  const anon = `a-${((v * 2654435761) % Math.max(1, Math.floor(visitsTotal * 0.75))).toString(36)}`;
  const name = SHAPE[k] === 'last' ? (v % 20 === 0 ? 'signup' : 'pageview') : SHAPE[k];
  const page = PAGES[(v * 7 + Math.floor(k / 3) * 13) % PAGES.length];
  const ts = dayStart + Math.floor(((i % perDay) / perDay) * 86_000_000);
  const props = name === 'scroll' ? { depth: 25 * (1 + (v % 4)) } : name === 'click' ? { label: `cta-${v % 9}`, href: `https://shop.example/p/${v % 40}` } : name === 'engagement' ? { ms: 3000 + (v % 50) * 700 } : name === 'signup' ? { plan: v % 2 ? 'pro' : 'team' } : null;
  const src = SOURCES[v % SOURCES.length];
  return {
    site_id: site, id: `b-${i.toString(36)}`, name, custom: name === 'signup' ? 1 : 0, category: 'analytics', ts, received_at: ts + 800,
    anon_id: anon, user_id: null, session_id: `s-${v.toString(36)}`, visitor_hash: null, pageview_id: `pv-${v.toString(36)}-${Math.floor(k / 3)}`,
    url: `https://shop.example${page}${src === 'email' ? '?utm_source=newsletter&utm_medium=email' : ''}`, path: page,
    referrer: name === 'pageview' && src === 'search' ? 'https://www.google.com/' : null, ref_host: name === 'pageview' && src === 'search' ? 'google.com' : null,
    source: src, medium: src === 'email' ? 'email' : null, utm_source: src === 'email' ? 'newsletter' : null, utm_medium: src === 'email' ? 'email' : null,
    utm_campaign: null, utm_term: null, utm_content: null, click_id: null, country: COUNTRIES[v % COUNTRIES.length], region: null, city: null, timezone: null,
    browser: ['Chrome', 'Firefox', 'Safari', 'Edge'][v % 4], os: ['Windows', 'Mac OS', 'Linux', 'iOS', 'Android'][v % 5], device: v % 3 ? 'desktop' : 'mobile',
    bot: 0, cookieless: 0, consent: 'analytics', props: props && JSON.stringify(props), sent_from: 'browser', revenue: name === 'signup' ? 4900 : null,
    currency: name === 'signup' ? 'EUR' : null,
  };
}

export default {
  ...worker,
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== '/bench/day') return worker.fetch(request, env, ctx);
    const { site, from, n, dayStart, perDay, visitsTotal, hotFrom } = await request.json();
    const t0 = Date.now();
    const rows = [];
    for (let i = from; i < from + n; i++) rows.push(event(site, i, dayStart, perDay, visitsTotal));
    const t1 = Date.now();
    // The consumer's write (pipeline/consume.ts writeD1): inserts and the rollup fold, one transaction per 2,000 events.
    for (let i = 0; i < rows.length; i += 2000) await env.DB.batch([...insertEvents(env.DB, rows.slice(i, i + 2000)), ...foldVisits(env.DB)]);
    const t2 = Date.now();
    // The day as compaction leaves it: one file, statistics and bloom filters.
    const put = await putParquet(env.ARCHIVE, objectKey(site, utcDate(dayStart), `c-bench-${from}`), rows, { compacted: true });
    const t3 = Date.now();
    // The hot window (privacy/retention.ts): raw events older than it leave D1; the rollups keep them.
    await env.DB.prepare('DELETE FROM events WHERE site_id = ?1 AND ts < ?2').bind(site, hotFrom).run();
    return Response.json({ generate_ms: t1 - t0, d1_ms: t2 - t1, parquet_ms: t3 - t2, trim_ms: Date.now() - t3, parquet_bytes: put.size });
  },
};
