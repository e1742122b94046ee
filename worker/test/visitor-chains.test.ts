import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getSite } from '../src/config/sites';
import { linkIdentity } from '../src/identity/links';
import { enforceSite } from '../src/privacy/retention';
import { eraseSubject } from '../src/privacy/subjects';
import { VISITS_SQL } from '../src/query/journey-sql';
import { resolveRange } from '../src/query/time';
import type { EventsMessage } from '../src/storage/messages';
import { rechain } from '../src/storage/visits';
import { consume, eventsMessage, queryApi } from './helpers';

/**
 * Unique visitors from the visitor chains (storage/visits.ts) must equal a count of distinct visitors over the same rows,
 * whatever wrote them: batches in random order (late events that move a visit's start), logins that merge browsers into a
 * user, an erasure, and retention removing the oldest visits. Each step compares the API's answers — visitors in the range,
 * by day, by hour, by week, by month, by day and user type, of one user type by day, top pages, pages by day, and by source (which the chains
 * can't answer) — with distinct visitors counted here from the rollup rows.
 */
const DAY = 86_400_000;
// Six days from a Wednesday: across a month's end (October 1st) and a week's (Monday October 5th).
const T0 = Date.parse('2026-09-30T00:00:00Z');
const DAYS = ['2026-09-30', '2026-10-05'] as const;
const PATHS = ['/', '/a', '/b', '/c'];

let seed = 11;
const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;

const message = (anon: string, session: string, evs: { ts: number; name: string; path: string }[], source = 'direct') =>
  eventsMessage(anon, session, evs.map((e) => ({ ...e, source })), { received_at: T0 });

type Answer = [string, number][];
const api = async (body: Record<string, unknown>): Promise<Answer> => {
  const { status, body: answer } = await queryApi(body, [...DAYS]);
  expect(status).toBe(200);
  return (answer.results as { dimensions: unknown[]; metrics: number[] }[]).map((r) => [r.dimensions.join(' '), r.metrics[0]!] as [string, number]).sort();
};

/** Distinct visitors per group, counted here from the rollup rows of the same range. */
async function expected() {
  const site = getSite('demo')!;
  const range = resolveRange([...DAYS], site.timezone, Date.now());
  const label = (ts: number, len: number) => new Date(ts + range.offset).toISOString().slice(0, len).replace('T', ' ');
  const visits = (
    await env.DB.prepare(
      `SELECT start_ts AS ts, source, COALESCE(user_id, anon_id, visitor_hash, visit) AS visitor,
         CASE WHEN user_id IS NOT NULL THEN 'identified' WHEN anon_id IS NOT NULL THEN 'anonymous' ELSE 'cookieless' END AS type
       FROM visits WHERE site_id = 'demo' AND start_ts >= ?1 AND start_ts < ?2`,
    )
      .bind(range.from, range.to)
      .all<{ ts: number; source: string; visitor: string; type: string }>()
  ).results;
  const pages = (
    await env.DB.prepare(
      `SELECT slot * 900000 AS ts, path, COALESCE(user_id, anon_id, visitor_hash, visit) AS visitor
       FROM visit_pages WHERE site_id = 'demo' AND slot >= ?1 AND slot < ?2`,
    )
      .bind(Math.floor(range.from / 900_000), Math.ceil(range.to / 900_000))
      .all<{ ts: number; path: string; visitor: string }>()
  ).results;
  const distinct = <R extends { visitor: string }>(rows: R[], key: (r: R) => string): Answer => {
    const groups = new Map<string, Set<string>>();
    for (const r of rows) {
      const k = key(r);
      if (!groups.has(k)) groups.set(k, new Set());
      groups.get(k)!.add(r.visitor);
    }
    return [...groups].map(([k, s]) => [k, s.size] as [string, number]).sort();
  };
  return {
    total: distinct(visits, () => ''),
    day: distinct(visits, (r) => `${label(r.ts, 10)}`),
    hour: distinct(visits, (r) => `${label(r.ts, 13)}:00`),
    week: distinct(visits, (r) => (label(r.ts, 10) < '2026-10-05' ? '2026-09-28' : '2026-10-05')),
    month: distinct(visits, (r) => `${label(r.ts, 7)}-01`),
    dayType: distinct(visits, (r) => `${label(r.ts, 10)} ${r.type}`),
    // Not whole chains: a visitor's visits come from several sources (the distinct count answers these).
    bySource: distinct(visits, (r) => r.source),
    anonymousDays: distinct(visits.filter((r) => r.type === 'anonymous'), (r) => label(r.ts, 10)),
    pages: distinct(pages, (r) => r.path),
    pagesDay: distinct(pages, (r) => `${r.path} ${label(r.ts, 10)}`),
  };
}

/**
 * The journey's visitor counts (journey-sql.ts VISITS_SQL, on the chains) for 2026-10-04…05 and the two days before, against
 * the same counts made here by grouping the visit rows by visitor: visitors; new (first visit ever in the period); returning
 * (a visit in the period that isn't its first ever); retained (new, and back on a later day of the period); registered;
 * visits of registered visitors; anonymous; unknown.
 */
async function journeyVisitors(step: string) {
  const site = getSite('demo')!;
  const cur = resolveRange(['2026-10-04', '2026-10-05'], site.timezone, Date.now());
  const prevFrom = cur.from - 2 * DAY;
  const rows = (
    await env.DB.prepare(VISITS_SQL).bind('demo', cur.from, cur.to, prevFrom, prevFrom, cur.offset).all<Record<string, number | string | null>>()
  ).results.filter((r) => r.k === 'visits');
  const got = [1, 0].map((c) => {
    const r = rows.find((x) => Number(x.cur) === c)!;
    return ['va', 'vb', 'vc', 'vd', 've', 'vf', 'vg', 'vh'].map((col) => Number(r[col] ?? 0));
  });
  const all = (
    await env.DB.prepare(
      `SELECT visit, start_ts AS ts, user_id, anon_id, COALESCE(user_id, anon_id, visitor_hash, visit) AS visitor FROM visits WHERE site_id = 'demo' ORDER BY start_ts, visit`,
    ).all<{ visit: string; ts: number; user_id: string | null; anon_id: string | null; visitor: string }>()
  ).results;
  const firstEver = new Map<string, string>();
  for (const v of all) if (!firstEver.has(v.visitor)) firstEver.set(v.visitor, v.visit);
  const day = (ts: number) => Math.floor((ts + cur.offset) / DAY);
  const want = [[cur.from, cur.to], [prevFrom, cur.from]].map(([a, b]) => {
    const by = new Map<string, typeof all>();
    for (const v of all.filter((x) => x.ts >= a! && x.ts < b!)) by.set(v.visitor, [...(by.get(v.visitor) ?? []), v]);
    const vs = [...by.values()];
    const isNew = (v: (typeof all)[number]) => firstEver.get(v.visitor) === v.visit;
    return [
      vs.length,
      vs.filter((x) => x.some(isNew)).length,
      vs.filter((x) => x.some((v) => !isNew(v))).length,
      vs.filter((x) => x.some(isNew) && Math.max(...x.map((v) => day(v.ts))) > day(x.find(isNew)!.ts)).length,
      vs.filter((x) => x[0]!.user_id).length,
      vs.filter((x) => x[0]!.user_id).reduce((n, x) => n + x.length, 0),
      vs.filter((x) => !x[0]!.user_id && x[0]!.anon_id).length,
      vs.filter((x) => !x[0]!.user_id && !x[0]!.anon_id).length,
    ];
  });
  expect({ step, journey: got }).toEqual({ step, journey: want });
}

async function compare(step: string) {
  // Every writer recomputed the chains it touched in its own batch (a query would otherwise do it first, hiding a writer that didn't).
  expect({ step, dirty: (await env.DB.prepare('SELECT count(*) AS n FROM rollup_dirty').first<{ n: number }>())!.n }).toEqual({ step, dirty: 0 });
  const want = await expected();
  const pageviews = [['is', 'event:name', ['pageview']]];
  const got = {
    total: await api({ metrics: ['visitors'] }),
    day: await api({ metrics: ['visitors'], dimensions: ['time:day'], limit: 1000 }),
    hour: await api({ metrics: ['visitors'], dimensions: ['time:hour'], limit: 1000 }),
    week: await api({ metrics: ['visitors'], dimensions: ['time:week'], limit: 1000 }),
    month: await api({ metrics: ['visitors'], dimensions: ['time:month'], limit: 1000 }),
    dayType: await api({ metrics: ['visitors'], dimensions: ['time:day', 'user:type'], limit: 1000 }),
    bySource: await api({ metrics: ['visitors'], dimensions: ['visit:source'], limit: 1000 }),
    anonymousDays: await api({ metrics: ['visitors'], dimensions: ['time:day'], filters: [['is', 'user:type', ['anonymous']]], limit: 1000 }),
    pages: await api({ metrics: ['visitors'], dimensions: ['event:page'], filters: pageviews, limit: 1000 }),
    pagesDay: await api({ metrics: ['visitors'], dimensions: ['event:page', 'time:day'], filters: pageviews, limit: 1000 }),
  };
  expect({ step, ...got }).toEqual({ step, ...want });
  await journeyVisitors(step);
  return want;
}

describe('visitor chains', () => {
  it('count each visitor once per range, bucket and page, through late batches, logins, an erasure and retention', async () => {
    // 14 browsers, 48 visits of 1–5 events over six days; visits of one browser may overlap in time.
    const evs: { anon: string; session: string; source: string; e: { ts: number; name: string; path: string } }[] = [];
    for (let v = 0; v < 48; v++) {
      const anon = `vc-a${Math.floor(rnd() * 14)}`;
      const start = T0 + Math.floor(rnd() * 6 * 96) * 900_000 + Math.floor(rnd() * 900_000);
      const source = pick(['direct', 'search', 'social']);
      for (let i = 0, n = 1 + Math.floor(rnd() * 5); i < n; i++) {
        evs.push({ anon, session: `vc-s${v}`, source, e: { ts: start + i * 7 * 60_000, name: rnd() < 0.7 ? 'pageview' : 'click', path: pick(PATHS) } });
      }
    }
    evs.sort(() => rnd() - 0.5);
    while (evs.length) {
      const msgs: EventsMessage[] = [];
      for (let m = 1 + Math.floor(rnd() * 4); m > 0 && evs.length; m--) {
        const first = evs.shift()!;
        msgs.push(message(first.anon, first.session, [first.e], first.source));
      }
      await consume(msgs);
    }
    const before = await compare('folded in random order');
    expect(before.total[0]![1]).toBeGreaterThan(8);

    // Logins: two browsers become one user, a third another user; a browser with no visits links too.
    for (const [anonId, userId] of [['vc-a1', 'vc-u1'], ['vc-a2', 'vc-u1'], ['vc-a3', 'vc-u2'], ['vc-a99', 'vc-u2']]) {
      expect(await linkIdentity(env.DB, { siteId: 'demo', anonId: anonId!, userId: userId!, verified: true, now: Date.now() })).toMatchObject({ ok: true });
    }
    const linked = await compare('after logins');
    expect(linked.dayType.some(([k]) => k.endsWith('identified'))).toBe(true);
    // Events after the login fold into the user's chain.
    await consume([message('vc-a2', 'vc-late', [{ ts: T0 + 2 * DAY + 5_000, name: 'pageview', path: '/a' }])]);
    await compare('a visit after the login');

    // An erasure takes one user's visits out of the middle of the others.
    await eraseSubject(env.DB, env.ARCHIVE, { siteId: 'demo', userId: 'vc-u1', anonIds: ['vc-a1', 'vc-a2'] }, Date.now());
    await compare('after an erasure');

    // Retention removes the first day and a half of visits and page slots.
    const site = { ...getSite('demo')!, retention_days: { events: 30, receipts: 1825, archive: 395, hot: 30 } };
    await enforceSite(env, site, T0 + 1.5 * DAY + 30 * DAY);
    const kept = await compare('after retention');
    expect(kept.day.map(([d]) => d)).not.toContain('2026-09-30');
  });

  it('a user id equal to another browser’s anonymous id is one visitor, counted once in the tier of its first visit', async () => {
    // Identifiers are the visitor: a (here unverified) user id "vc-x-a" that is also browser vc-x-a's anonymous id merges the
    // two, in every count. Split by identity tier the merged visitor counts once too, where its first visit in the range is.
    const T = Date.parse('2026-08-10T08:00:00Z');
    await consume([message('vc-x-b', 'vc-x-s1', [{ ts: T, name: 'pageview', path: '/x' }])]);
    expect(await linkIdentity(env.DB, { siteId: 'demo', anonId: 'vc-x-b', userId: 'vc-x-a', verified: false, now: Date.now() })).toMatchObject({ ok: true });
    await consume([message('vc-x-a', 'vc-x-s2', [{ ts: T + 3_600_000, name: 'pageview', path: '/x' }])]);
    const day = async (body: Record<string, unknown>) => (await queryApi(body, ['2026-08-10', '2026-08-10'])).body.results.map((r: { dimensions: string[]; metrics: number[] }) => [...r.dimensions, ...r.metrics]);
    expect(await day({ metrics: ['visitors', 'visits'] })).toEqual([[1, 2]]);
    expect(await day({ metrics: ['visitors', 'visits'], dimensions: ['user:type'] })).toEqual([['identified', 1, 1], ['anonymous', 0, 1]]);
  });

  it('recomputing seeks each dirty visitor in the expression indexes (not every row of the site once per visitor)', async () => {
    const texts: string[] = [];
    rechain({ prepare: (sql: string) => (texts.push(sql), null) } as unknown as D1Database);
    for (const [sql, index] of [[texts[0]!, 'visits_site_visitor'], [texts[1]!, 'visit_pages_chain']] as const) {
      const plan = (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).all<{ detail: string }>()).results.map((r) => r.detail);
      expect(plan).toContain(`SEARCH x USING INDEX ${index} (site_id=? AND <expr>=?)`);
    }
  });
});
