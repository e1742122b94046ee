import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { linkIdentity } from '../src/identity/links';
import { eraseSubject } from '../src/privacy/subjects';
import { handleQueue } from '../src/pipeline/consume';
import type { EventsMessage } from '../src/storage/messages';
import { catchUpVisits } from '../src/storage/visits';
import { consume, eventsMessage } from './helpers';

/**
 * The per-visit and per-page rollups are kept by the consumer, batch by batch. Whatever order events
 * arrive in, and however often a batch is redelivered, they must equal a rebuild from scratch.
 */
const T0 = Date.parse('2026-11-05T10:00:00Z');
type Ev = { at: number; name: string; path: string; source?: string; country?: string; bot?: 0 | 1 };

const message = (anon: string, session: string, evs: Ev[], bot: 0 | 1 = 0) =>
  eventsMessage(
    anon,
    session,
    evs.map((e) => ({ name: e.name, ts: T0 + e.at * 60_000, path: e.path, source: e.source ?? 'direct' })),
    { received_at: T0, ctx: { country: evs[0]?.country ?? 'DE', bot } },
  );

const visitRow = (visit: string) => env.DB.prepare('SELECT * FROM visits WHERE site_id = ?1 AND visit = ?2').bind('demo', visit).first<Record<string, unknown>>();
const snapshot = async (prefix: string) => ({
  visits: (await env.DB.prepare('SELECT * FROM visits WHERE visit LIKE ?1 ORDER BY visit').bind(`${prefix}%`).all()).results,
  pages: (await env.DB.prepare('SELECT * FROM visit_pages WHERE visit LIKE ?1 ORDER BY visit, slot, path').bind(`${prefix}%`).all()).results,
});

describe('visit rollups', () => {
  it('late and out-of-order events: the first event sets attribution and entry page, counts add up, redelivery adds nothing', async () => {
    // Batch 1 holds the middle of the visit; batch 2 brings an earlier page view (from search) and a later click.
    await consume([message('ro-a1', 'ro-s1', [{ at: 5, name: 'pageview', path: '/pricing' }, { at: 6, name: 'scroll', path: '/pricing' }])]);
    const late = message('ro-a1', 'ro-s1', [{ at: 1, name: 'pageview', path: '/', source: 'search', country: 'FR' }, { at: 9, name: 'click', path: '/pricing' }]);
    const { batch } = await consume([late]);
    await handleQueue(batch, env); // the same messages again: nothing new is inserted, nothing is folded twice
    expect(await visitRow('ro-s1')).toMatchObject({
      start_ts: T0 + 60_000, end_ts: T0 + 9 * 60_000, pageviews: 2, events: 4, entry_page: '/', entry_ts: T0 + 60_000, source: 'search', country: 'FR', anon_id: 'ro-a1',
    });
    const pages = (await env.DB.prepare("SELECT path, pageviews FROM visit_pages WHERE visit = 'ro-s1' ORDER BY path").all()).results;
    expect(pages).toEqual([{ path: '/', pageviews: 1 }, { path: '/pricing', pageviews: 1 }]);
  });

  it('bots are not folded', async () => {
    await consume([message('ro-bot', 'ro-sbot', [{ at: 1, name: 'pageview', path: '/' }], 1)]);
    expect(await visitRow('ro-sbot')).toBeNull();
  });

  it('equals a rebuild from scratch, whatever the batching', async () => {
    // 12 visits of 2–6 events, shuffled into batches of 1–4 messages of 1–3 events.
    const evs: { anon: string; session: string; e: Ev }[] = [];
    for (let v = 0; v < 12; v++) {
      const k = 2 + (v % 5);
      for (let i = 0; i < k; i++) {
        evs.push({ anon: `ro-r-a${v % 7}`, session: `ro-r-s${v}`, e: { at: v * 40 + i * 3, name: i % 3 === 2 ? 'click' : 'pageview', path: `/p${(v + i) % 4}`, source: ['direct', 'search', 'social'][(v + i) % 3], country: ['DE', 'FR'][i % 2] } });
      }
    }
    let seed = 7;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    evs.sort(() => rnd() - 0.5);
    while (evs.length) {
      const msgs: EventsMessage[] = [];
      for (let m = 1 + Math.floor(rnd() * 4); m > 0 && evs.length; m--) {
        const first = evs.shift()!;
        const same = [first.e];
        while (same.length < 3 && evs[0] && evs[0].session === first.session) same.push(evs.shift()!.e);
        msgs.push(message(first.anon, first.session, same));
      }
      await consume(msgs);
    }
    const incremental = await snapshot('ro-r-');
    expect(incremental.visits).toHaveLength(12);

    await env.DB.batch([
      env.DB.prepare('DELETE FROM visits'),
      env.DB.prepare('DELETE FROM visit_pages'),
      env.DB.prepare("UPDATE rollup_state SET seq = 0 WHERE name = 'visits'"),
    ]);
    await catchUpVisits(env.DB);
    expect(await snapshot('ro-r-')).toEqual(incremental);
  });

  it('erasure removes the subject’s visits; seq values freed by it cannot hide later events from the rollup', async () => {
    await consume([message('ro-e1', 'ro-se1', [{ at: 1, name: 'pageview', path: '/' }, { at: 2, name: 'pageview', path: '/x' }])]);
    const report = await eraseSubject(env.DB, env.ARCHIVE, { siteId: 'demo', userId: null, anonIds: ['ro-e1'] }, Date.now());
    expect(report).toMatchObject({ events: 2, visits: 1 });
    expect(await visitRow('ro-se1')).toBeNull();
    expect((await env.DB.prepare("SELECT count(*) AS n FROM visit_pages WHERE visit = 'ro-se1'").first<{ n: number }>())!.n).toBe(0);
    // The erased rows had the highest seq values; without AUTOINCREMENT SQLite would hand them out again.
    await consume([message('ro-e2', 'ro-se2', [{ at: 3, name: 'pageview', path: '/' }])]);
    expect(await visitRow('ro-se2')).toMatchObject({ pageviews: 1, events: 1 });
  });

  it('erasure removes page slots whose visit row retention already dropped, by the ids they carry', async () => {
    // A visit that started before the retention cutoff loses its row first; its later page slots (and their ids) stay a while.
    await env.DB.batch([
      env.DB.prepare("INSERT INTO visit_pages (site_id, slot, path, visit, anon_id, pageviews) VALUES ('demo', 1990000, '/a', 'ro-orphan-s', 'ro-orphan', 1)"),
      env.DB.prepare("INSERT INTO visit_pages (site_id, slot, path, visit, anon_id, user_id, pageviews) VALUES ('demo', 1990001, '/b', 'ro-orphan-s2', 'ro-orphan-2', 'ro-orphan-user', 1)"),
    ]);
    await eraseSubject(env.DB, env.ARCHIVE, { siteId: 'demo', userId: null, anonIds: ['ro-orphan'] }, Date.now());
    await eraseSubject(env.DB, env.ARCHIVE, { siteId: 'demo', userId: 'ro-orphan-user', anonIds: [] }, Date.now());
    const left = await env.DB.prepare("SELECT count(*) AS n FROM visit_pages WHERE visit LIKE 'ro-orphan%'").first<{ n: number }>();
    expect(left!.n).toBe(0);
    expect((await env.DB.prepare('SELECT count(*) AS n FROM rollup_dirty').first<{ n: number }>())!.n).toBe(0);
  });

  it('a login stitches the visits folded before it: stats count one identified visitor across both devices', async () => {
    const day = 3 * 24 * 60; // 2026-11-08, a day no other test writes
    await consume([
      message('ro-i-phone', 'ro-si1', [{ at: day + 1, name: 'pageview', path: '/' }]),
      message('ro-i-laptop', 'ro-si2', [{ at: day + 60, name: 'pageview', path: '/' }, { at: day + 61, name: 'pageview', path: '/pricing' }]),
    ]);
    const stats = async (body: object) => {
      const res = await SELF.fetch('http://collector.test/api/v1/query', {
        method: 'POST',
        headers: { authorization: 'Bearer dev-admin-key' },
        body: JSON.stringify({ site_id: 'demo', date_range: ['2026-11-08', '2026-11-08'], ...body }),
      });
      return ((await res.json()) as { results: { dimensions: string[]; metrics: number[] }[] }).results;
    };
    const byType = { metrics: ['visitors', 'visits'], dimensions: ['user:type'] };
    const topPages = { metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'event:name', ['pageview']]] };
    expect(await stats(byType)).toEqual([{ dimensions: ['anonymous'], metrics: [2, 2] }]);
    for (const anonId of ['ro-i-phone', 'ro-i-laptop']) {
      expect(await linkIdentity(env.DB, { siteId: 'demo', anonId, userId: 'ro-i-user', verified: true, now: Date.now() })).toMatchObject({ ok: true });
    }
    expect(await stats(byType)).toEqual([{ dimensions: ['identified'], metrics: [1, 2] }]);
    expect(await stats(topPages)).toEqual([
      { dimensions: ['/'], metrics: [1, 2] },
      { dimensions: ['/pricing'], metrics: [1, 1] },
    ]);
  });
});
