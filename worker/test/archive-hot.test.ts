import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import raw from '../../config/sites.json';
import { CONFIG, parseConfig } from '../src/config/sites';
import { enforceSite } from '../src/privacy/retention';
import { objectKey, putParquet, utcDate } from '../src/storage/archive';
import { hotCutoff } from '../src/storage/hot-window';
import type { ArchivedEvent } from '../src/storage/parquet';
import { archiveObjects } from './archive-helpers';
import { consentedBrowser, id } from './helpers';

/**
 * D1 keeps raw events for the hot window (`retention_days.hot`); the rollups keep the full retention, and the Parquet
 * archive has everything. Queries that need raw events say so past the window; exports and profiles read the archive.
 */
const DAY = 86_400_000;
const HOT = CONFIG.sites.demo!.retention_days.hot;
const api = (path: string, init: RequestInit = {}) =>
  SELF.fetch(`http://collector.test${path}`, { ...init, headers: { authorization: 'Bearer dev-admin-key', ...(init.headers ?? {}) } });
const post = (path: string, body: object) => api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

function row(over: Partial<ArchivedEvent> & { anon_id: string; ts: number }): ArchivedEvent {
  return {
    site_id: 'demo', id: id('hw'), name: 'pageview', custom: 0, category: 'analytics', received_at: over.ts, user_id: null, session_id: `s-${over.anon_id}`,
    pageview_id: null, url: 'https://shop.example/old', path: '/old', referrer: null, ref_host: null, source: 'direct', medium: null, utm_source: null,
    utm_medium: null, utm_campaign: null, utm_term: null, utm_content: null, click_id: null, country: 'DE', region: null, city: null, timezone: null,
    browser: 'Chrome', os: 'Linux', device: 'desktop', bot: 0, cookieless: 0, consent: 'analytics', props: '{"k":"v"}', sent_from: 'browser', revenue: null,
    currency: null, ...over,
  };
}
/** What the world looks like once a visitor's events left D1: a Parquet part, and the visit in the rollup. */
async function archivedOnly(r: ArchivedEvent) {
  await putParquet(env.ARCHIVE, objectKey('demo', utcDate(r.ts), `p-${id('t')}`), [r]);
  await env.DB.prepare(
    'INSERT INTO visits (site_id, visit, start_ts, end_ts, anon_id, pageviews, events, entry_ts, entry_page) VALUES (?1, ?2, ?3, ?3, ?4, 1, 1, ?3, ?5)',
  )
    .bind('demo', r.session_id, r.ts, r.anon_id, r.path)
    .run();
}
const insertEvent = (r: ArchivedEvent) =>
  env.DB.prepare(
    'INSERT INTO events (site_id, id, name, category, ts, received_at, anon_id, session_id, url, path, consent, props) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11)',
  )
    .bind(r.site_id, r.id, r.name, r.category, r.ts, r.anon_id, r.session_id, r.url, r.path, r.consent, r.props)
    .run();

describe('the hot window', () => {
  it('is configurable per site and never longer than the events retention', () => {
    const demo = (raw as { sites: Record<string, Record<string, unknown>> }).sites.demo!;
    expect(CONFIG.sites.demo!.retention_days.hot).toBe(35);
    const bad = parseConfig({ sites: { demo: { ...demo, retention_days: { events: 30, receipts: 30, archive: 30, hot: 31 } } } });
    expect(bad.ok ? [] : bad.errors).toEqual([expect.stringMatching(/^sites\.demo\.retention_days\.hot: must be at most retention_days\.events/)]);
    const ok = parseConfig({ sites: { demo: { ...demo, retention_days: { events: 30, receipts: 30, archive: 30, hot: 7 } } } });
    expect(ok.ok && ok.config.sites.demo!.retention_days.hot).toBe(7);
  });

  it('retention moves raw events out of D1 after it; their visits stay in the rollups', async () => {
    // A site of its own: retention deletes by site, and no other test writes this one.
    const site = { ...CONFIG.sites.demo!, id: 'hot-window-test' };
    const now = Date.now();
    const old = row({ site_id: site.id, anon_id: id('anon'), ts: hotCutoff(HOT, now) - 1000 });
    const fresh = row({ site_id: site.id, anon_id: id('anon'), ts: hotCutoff(HOT, now) + 1000 });
    for (const r of [old, fresh]) await insertEvent(r);
    await enforceSite(env, site, now);
    const left = await env.DB.prepare('SELECT id FROM events WHERE site_id = ?1').bind(site.id).all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual([fresh.id]);
    const visits = await env.DB.prepare('SELECT visit FROM visits WHERE site_id = ?1 ORDER BY start_ts').bind(site.id).all<{ visit: string }>();
    expect(visits.results.map((v) => v.visit)).toEqual([old.session_id, fresh.session_id]);
  });

  it('queries past it answer from the rollups, or clamp to it and say so in meta.warnings', async () => {
    const now = Date.now();
    const name = id('hwq');
    // One event older than the window, one inside it.
    await insertEvent(row({ anon_id: id('anon'), ts: now - (HOT + 20) * DAY, name }));
    await insertEvent(row({ anon_id: id('anon'), ts: now - DAY, name }));
    const ask = async () => (await (await post('/api/v1/query', { site_id: 'demo', date_range: '12mo', metrics: ['events'], filters: [['is', 'event:name', [name]]], dimensions: ['event:name'] })).json()) as any;
    // Until retention has removed anything, D1 still holds every row: all counted, nothing to warn about.
    const before = await ask();
    expect(before.results).toEqual([{ dimensions: [name], metrics: [2] }]);
    expect(before.meta.warnings).toBeUndefined();
    // The hourly cron moves the old one out: from then on the range is clamped where rows are gone, and the answer says so.
    await enforceSite(env, CONFIG.sites.demo!, now);
    const events = await ask();
    expect(events.results).toEqual([{ dimensions: [name], metrics: [1] }]);
    expect(events.meta.warnings).toEqual([expect.stringContaining(`raw events before ${utcDate(hotCutoff(HOT, now))} are no longer in D1`)]);
    // The visit rollup keeps the full retention: no warning, nothing clamped.
    const visits = (await (await post('/api/v1/query', { site_id: 'demo', date_range: '12mo', metrics: ['visitors', 'pageviews'] })).json()) as any;
    expect(visits.meta.warnings).toBeUndefined();
    const recent = (await (await post('/api/v1/query', { site_id: 'demo', date_range: '7d', metrics: ['events'], dimensions: ['event:name'] })).json()) as any;
    expect(recent.meta.warnings).toBeUndefined();
    const funnel = (await (await post('/api/v1/funnel', { site_id: 'demo', date_range: '12mo', steps: [{ event: name }, { event: 'signup' }] })).json()) as any;
    expect(funnel.steps[0].visitors).toBe(1);
    expect(funnel.meta.warnings).toHaveLength(1);
  });
});

describe('past the hot window, exports, erasure and profiles read the archive', () => {
  it('a DSAR export includes archived events; erasure removes them', async () => {
    const anon = id('anon');
    const old = row({ anon_id: anon, ts: Date.now() - (HOT + 30) * DAY });
    await archivedOnly(old);
    const exp = (await (await api(`/api/v1/subjects/${anon}/export?site_id=demo&kind=anonymous`)).json()) as any;
    expect(exp.events).toEqual([expect.objectContaining({ id: old.id, ts: old.ts, anon_id: anon, props: { k: 'v' } })]);
    const del = (await (await api(`/api/v1/subjects/${anon}?site_id=demo&kind=anonymous`, { method: 'DELETE' })).json()) as any;
    expect(del.removed.archive).toMatchObject({ records_removed: 1 });
    // Its visit, kept by the rollups past the hot window, goes too (it was found through D1's events only, which had none).
    expect(del.removed.visits).toBe(1);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM visits WHERE anon_id = ?1').bind(anon).first('n')).toBe(0);
    const left = (await archiveObjects(`events/site=demo/date=${utcDate(old.ts)}/`)).flatMap((o) => o.rows);
    expect(left.filter((r) => r.anon_id === anon)).toEqual([]);
  });

  it('an archive object that is not readable Parquet: the DSAR export still answers, with the rest and a warning naming it', async () => {
    const anon = id('anon');
    const old = row({ anon_id: anon, ts: Date.now() - (HOT + 20) * DAY });
    await archivedOnly(old);
    const broken = objectKey('demo', utcDate(old.ts), 'p-broken');
    await env.ARCHIVE.put(broken, 'not parquet at all');
    try {
      const res = await api(`/api/v1/subjects/${anon}/export?site_id=demo&kind=anonymous`);
      expect(res.status).toBe(200);
      const exp = (await res.json()) as any;
      expect(exp.events.map((e: { id: string }) => e.id)).toEqual([old.id]);
      expect(exp.warnings).toEqual([expect.stringContaining(broken)]);
    } finally {
      await env.ARCHIVE.delete(broken);
    }
  });

  it('the visitor\'s own export (/v1/me) reads the days its visits were on', async () => {
    const b = await consentedBrowser();
    const old = row({ anon_id: b.a, ts: Date.now() - (HOT + 10) * DAY });
    await archivedOnly(old);
    const res = await SELF.fetch('http://collector.test/v1/me?s=demo', { headers: { authorization: `Bearer ${b.a}.${b.k}`, origin: 'http://127.0.0.1:8787' } });
    expect(((await res.json()) as any).events.map((e: { id: string }) => e.id)).toEqual([old.id]);
  });

  it('a profile\'s timeline starts with archived events, then D1\'s, paginated across both', async () => {
    const anon = id('anon');
    const user = id('cust');
    const old = row({ anon_id: anon, ts: Date.now() - (HOT + 5) * DAY });
    const fresh = row({ anon_id: anon, ts: Date.now() - 1000, path: '/new' });
    await archivedOnly(old);
    await insertEvent(fresh);
    await env.DB.prepare("INSERT INTO identity_links (site_id, anon_id, user_id, linked_at, verified, method) VALUES ('demo', ?1, ?2, ?3, 1, 'identify')").bind(anon, user, Date.now()).run();
    const p1 = (await (await api(`/api/v1/profiles/${user}?site_id=demo&limit=1`)).json()) as any;
    expect(p1).toMatchObject({ event_count: 2, first_seen: new Date(old.ts).toISOString() });
    expect(p1.timeline.events).toEqual([expect.objectContaining({ id: old.id, path: '/old', stitched: true, props: { k: 'v' } })]);
    const p2 = (await (await api(`/api/v1/profiles/${user}?site_id=demo&limit=1&cursor=${p1.timeline.next_cursor}`)).json()) as any;
    expect(p2.timeline.events.map((e: { id: string }) => e.id)).toEqual([fresh.id]);
  });

  it('a profile finds archived server-side events that carry the user id and no anonymous id', async () => {
    const user = id('cust');
    const ts = Date.now() - (HOT + 7) * DAY;
    const server: ArchivedEvent = { ...row({ anon_id: 'none', ts }), anon_id: null, user_id: user, session_id: null, name: 'Order Completed', custom: 1, sent_from: 'server' };
    await putParquet(env.ARCHIVE, objectKey('demo', utcDate(ts), `p-${id('t')}`), [server]);
    // Its visit in the rollup, as the fold makes it for an event without session or anonymous id.
    await env.DB.prepare('INSERT INTO visits (site_id, visit, start_ts, end_ts, user_id, pageviews, events) VALUES (?1, ?2, ?3, ?3, ?4, 0, 1)')
      .bind('demo', `h:${server.id}`, ts, user)
      .run();
    const res = await api(`/api/v1/profiles/${user}?site_id=demo`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).timeline.events).toEqual([expect.objectContaining({ id: server.id, name: 'Order Completed' })]);
  });
});
