import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkIdentity } from '../src/identity/links';
import { eraseSubject } from '../src/privacy/subjects';
import { catchUpVisits } from '../src/storage/visits';
import { consume, eventsMessage, insertRows, queryApi } from './helpers';

/**
 * The visit rollup's journey columns (migration 0011) and the dimensions they answer: visit:exit_page, visit:channel,
 * visitor:type, user:type (cookieless / anonymous / identified), time:week and time:month.
 */
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const at = (daysAgo: number, minute = 0) => today - daysAgo * DAY + 9 * 3_600_000 + minute * 60_000;
const date = (daysAgo: number) => new Date(today - daysAgo * DAY).toISOString().slice(0, 10);

let n = 0;
type V = { anon?: string; hash?: string; session?: string; day: number; medium?: string | null; click?: string; pages?: string[]; first?: string };
/** One visit's rows: page views a minute apart (or a lone `first` event), the first carrying the referrer class. */
function visit(v: V) {
  const names = v.first ? [v.first] : (v.pages ?? ['/']).map(() => 'pageview');
  return names.map((name, i) => ({
    site_id: 'demo', id: `jr-${n++}`, name, category: 'analytics', ts: at(v.day, i), received_at: at(v.day, i), url: 'https://s/', path: v.pages?.[i] ?? '/',
    consent: 'analytics', anon_id: v.anon ?? null, session_id: v.anon ? (v.session ?? `${v.anon}-${v.day}`) : null, visitor_hash: v.hash ?? null,
    cookieless: v.hash ? 1 : 0, medium: i === 0 && v.medium !== null ? (v.medium ?? 'direct') : null, click_id: i === 0 ? (v.click ?? null) : null,
  }));
}
const rows = [
  ...visit({ anon: 'jr-a', day: 12, medium: 'search', click: 'gclid:x', pages: ['/', '/pricing'] }),
  ...visit({ anon: 'jr-a', day: 3, pages: ['/x'] }),
  ...visit({ anon: 'jr-b', day: 10, medium: 'email' }),
  ...visit({ anon: 'jr-c', day: 10, medium: 'internal' }),
  ...visit({ anon: 'jr-d', day: 9, medium: 'social' }),
  ...visit({ anon: 'jr-e', day: 9, medium: 'referral' }),
  ...visit({ anon: 'jr-f', day: 9, medium: 'search' }),
  ...visit({ anon: 'jr-g', day: 9, medium: 'paid' }),
  ...visit({ anon: 'jr-h', day: 9, medium: null, first: 'engagement' }),
  ...visit({ hash: 'jr-hash', day: 9 }),
  ...visit({ anon: 'jr-u', day: 9 }),
];
const RANGE = [date(12), date(3)];

beforeAll(async () => {
  await env.DB.batch([
    env.DB.prepare("INSERT INTO identity_links (site_id, anon_id, user_id, linked_at, verified, method) VALUES ('demo', 'jr-u', 'jr-user', 0, 1, 'identify')"),
    ...insertRows(rows),
  ]);
});

async function query(body: Record<string, unknown>) {
  return (await queryApi(body, RANGE)).body.results.map((r: any) => [...r.dimensions, ...r.metrics]);
}

describe('journey dimensions (known answers)', () => {
  it('visit:channel from the first event: click id or paid medium, search, social, email, referral, else direct', async () => {
    expect(await query({ metrics: ['visits'], dimensions: ['visit:channel'], order_by: [['visit:channel', 'asc']] })).toEqual([
      ['Direct', 5], ['Email', 1], ['Organic Search', 1], ['Paid', 2], ['Referral', 1], ['Social', 1],
    ]);
  });

  it('visit:exit_page: the last page view (none for a visit without one)', async () => {
    expect(await query({ metrics: ['visits'], dimensions: ['visit:exit_page'] })).toEqual([['/', 8], ['/pricing', 1], ['/x', 1], [null, 1]]);
    expect(await query({ metrics: ['visits'], filters: [['is', 'visit:exit_page', ['/pricing', '/x']]] })).toEqual([[2]]);
  });

  it('visitor:type: new in the first visit, returning after; the same split through the event plan', async () => {
    expect(await query({ metrics: ['visitors', 'visits'], dimensions: ['visitor:type'] })).toEqual([['new', 10, 10], ['returning', 1, 1]]);
    expect(await query({ metrics: ['visitors', 'events'], dimensions: ['visitor:type'], filters: [['is', 'event:name', ['pageview']], ['is', 'visit:channel', ['Paid', 'Direct']]] })).toEqual([
      ['new', 5, 6],
      ['returning', 1, 1],
    ]);
  });

  it('user:type: identified, anonymous, cookieless — in the visit, page and event plans', async () => {
    const expected = [['anonymous', 8], ['cookieless', 1], ['identified', 1]];
    expect(await query({ metrics: ['visitors'], dimensions: ['user:type'], order_by: [['user:type', 'asc']] })).toEqual(expected);
    // Page views only: jr-h's visit has none.
    expect(await query({ metrics: ['visitors'], dimensions: ['user:type'], filters: [['is', 'event:name', ['pageview']]], order_by: [['user:type', 'asc']] })).toEqual([['anonymous', 7], ...expected.slice(1)]);
    expect(await query({ metrics: ['visitors'], dimensions: ['user:type'], filters: [['is_not', 'event:name', ['click']]], order_by: [['user:type', 'asc']] })).toEqual(expected);
  });

  it('time:week (Monday) and time:month (the 1st), oldest first', async () => {
    const monday = (daysAgo: number) => {
      const d = new Date(today - daysAgo * DAY);
      return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10);
    };
    const count = (key: (d: number) => string) => {
      const m = new Map<string, number>();
      for (const d of [12, 3, 10, 10, 9, 9, 9, 9, 9, 9, 9]) m.set(key(d), (m.get(key(d)) ?? 0) + 1);
      return [...m].sort();
    };
    expect(await query({ metrics: ['visits'], dimensions: ['time:week'] })).toEqual(count(monday).map(([k, v]) => [k, v]));
    expect(await query({ metrics: ['visits'], dimensions: ['time:month'] })).toEqual(count((d) => `${date(d).slice(0, 7)}-01`).map(([k, v]) => [k, v]));
  });
});

/** Rollup upkeep through the real consumer, as rollup.test.ts does it. */
const message = (anon: string, session: string, evs: { at: number; name?: string; path?: string }[]) =>
  eventsMessage(anon, session, evs.map((e) => ({ ts: e.at, url: 'https://s/', medium: 'direct', ...(e.name && { name: e.name }), ...(e.path && { path: e.path }) })));
const types = async (like: string) =>
  Object.fromEntries(
    (await env.DB.prepare('SELECT visit, visitor_type, exit_page FROM visits WHERE visit LIKE ?1 ORDER BY visit').bind(like).all<{ visit: string; visitor_type: string; exit_page: string }>()).results.map(
      (r) => [r.visit, `${r.visitor_type} ${r.exit_page}`],
    ),
  );

describe('keeping visitor_type and the exit page', () => {
  it('a late, earlier visit becomes the first; a late page view moves the exit, an earlier one does not', async () => {
    await consume([message('jk-a', 'jk-s2', [{ at: at(20), path: '/b' }])]);
    expect(await types('jk-s%')).toEqual({ 'jk-s2': 'new /b' });
    await consume([message('jk-a', 'jk-s1', [{ at: at(22), path: '/a' }]), message('jk-a', 'jk-s2', [{ at: at(20, 5), path: '/c' }, { at: at(20) - 60_000, path: '/early' }])]);
    expect(await types('jk-s%')).toEqual({ 'jk-s1': 'new /a', 'jk-s2': 'returning /c' });
  });

  it('a login merges two visitors: only the earliest visit of both stays new; erasing it makes the next one the first', async () => {
    await consume([message('jk-phone', 'jk-p1', [{ at: at(25) }]), message('jk-laptop', 'jk-l1', [{ at: at(24) }]), message('jk-laptop', 'jk-l2', [{ at: at(23) }])]);
    expect(await types('jk-%1')).toMatchObject({ 'jk-p1': 'new /', 'jk-l1': 'new /' });
    for (const anonId of ['jk-laptop', 'jk-phone']) {
      expect(await linkIdentity(env.DB, { siteId: 'demo', anonId, userId: 'jk-user', verified: true, now: Date.now() })).toMatchObject({ ok: true });
    }
    expect(await types('jk-%')).toMatchObject({ 'jk-p1': 'new /', 'jk-l1': 'returning /', 'jk-l2': 'returning /' });
    await eraseSubject(env.DB, env.ARCHIVE, { siteId: 'demo', userId: null, anonIds: ['jk-phone'] }, Date.now());
    expect(await types('jk-%')).toMatchObject({ 'jk-l1': 'new /', 'jk-l2': 'returning /' });
    expect((await types('jk-p%'))['jk-p1']).toBeUndefined();
  });

  it('equals a rebuild from scratch', async () => {
    const snapshot = async () => (await env.DB.prepare("SELECT * FROM visits WHERE visit LIKE 'jk-%' ORDER BY visit").all()).results;
    const incremental = await snapshot();
    await env.DB.batch([env.DB.prepare('DELETE FROM visits'), env.DB.prepare('DELETE FROM visit_pages'), env.DB.prepare("UPDATE rollup_state SET seq = 0 WHERE name = 'visits'")]);
    await catchUpVisits(env.DB);
    expect(await snapshot()).toEqual(incremental);
  });
});
