import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { hmacSha256, toHex } from '../src/crypto/hmac';
import { consentedBrowser, post } from './helpers';

/**
 * Known answers for POST /api/v1/retention (site demo, UTC). Days count back from today; the range is days 20…16 ago.
 * - a person on two devices: phone visits on days 20 and 17, laptop on day 18 (it logs in as re-user during the test)
 * - re-b: days 20 and 19 · re-c: day 19 · re-d: first seen on day 25 (before the range), back on day 19: in no cohort
 */
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const date = (daysAgo: number) => new Date(today - daysAgo * DAY).toISOString().slice(0, 10);
const RANGE = [date(20), date(16)];
const sign = async (userId: string) => toHex(await hmacSha256('dev-identity-secret', userId));

let phone: Awaited<ReturnType<typeof consentedBrowser>>;
let laptop: Awaited<ReturnType<typeof consentedBrowser>>;
let n = 0;
const pageview = (anon: string, daysAgo: number) => {
  const ts = today - daysAgo * DAY + 10 * 3_600_000;
  return env.DB.prepare(
    "INSERT INTO events (site_id, id, name, category, ts, received_at, url, path, consent, anon_id, session_id) VALUES ('demo', ?1, 'pageview', 'analytics', ?2, ?2, 'https://s/', '/', 'analytics', ?3, ?4)",
  ).bind(`re-${n++}`, ts, anon, `re-s-${anon}-${daysAgo}`);
};

beforeAll(async () => {
  phone = await consentedBrowser();
  laptop = await consentedBrowser();
  await env.DB.batch([
    pageview(phone.a, 20), pageview(phone.a, 17), pageview(laptop.a, 18),
    pageview('re-b', 20), pageview('re-b', 19), pageview('re-c', 19), pageview('re-d', 25), pageview('re-d', 19),
  ]);
});

async function retention(body: Record<string, unknown>) {
  const res = await SELF.fetch('http://collector.test/api/v1/retention', {
    method: 'POST',
    headers: { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: 'demo', date_range: RANGE, period: 'day', ...body }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('POST /api/v1/retention (known answers)', () => {
  it('daily cohorts by first visit; a login on a second device makes one cohort member of both', async () => {
    const before = await retention({});
    expect(before.status).toBe(200);
    expect(before.body.cohorts).toEqual([
      { cohort: date(20), size: 2, retained: [2, 1, 0, 1, 0] },
      { cohort: date(19), size: 1, retained: [1, 0, 0, 0, 0] },
      { cohort: date(18), size: 1, retained: [1, 0, 0, 0, 0] },
    ]);
    expect(before.body.meta).toEqual({ date_range: RANGE, time_zone: 'UTC', period: 'day', periods: 5 });

    for (const b of [phone, laptop]) {
      const res = await post('/v1/identify', { s: 'demo', a: b.a, k: b.k, u: 're-user', t: b.t, token: await sign('re-user') });
      expect(res.status).toBe(200);
    }
    // The laptop's day-18 visit is now the person's return, in the phone's day-20 cohort.
    expect((await retention({})).body.cohorts).toEqual([
      { cohort: date(20), size: 2, retained: [2, 1, 1, 1, 0] },
      { cohort: date(19), size: 1, retained: [1, 0, 0, 0, 0] },
    ]);
  });

  // (After the first test: the laptop is logged in.)
  it('periods follows each cohort that long, past the range; weeks start on Monday, months on the 1st', async () => {
    expect((await retention({ periods: 2 })).body.cohorts.map((c: any) => c.retained)).toEqual([[2, 1], [1, 0]]);
    expect((await retention({ periods: 5, date_range: [date(20), date(20)] })).body.cohorts).toEqual([{ cohort: date(20), size: 2, retained: [2, 1, 1, 1, 0] }]);
    const weeks = (await retention({ period: 'week', date_range: [date(25), date(16)] })).body;
    const monday = (daysAgo: number) => {
      const d = new Date(today - daysAgo * DAY);
      return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10);
    };
    // re-d (day 25) is a member now; everyone's cohort is the week of their first visit.
    const cohorts = new Map<string, number>();
    for (const [first] of [[25], [20], [20], [19]] as const) cohorts.set(monday(first), (cohorts.get(monday(first)) ?? 0) + 1);
    expect(weeks.cohorts.map((c: any) => [c.cohort, c.size])).toEqual([...cohorts].sort());
    expect(weeks.cohorts.every((c: any) => c.retained[0] === c.size)).toBe(true);
    const month = (await retention({ period: 'month', date_range: [date(25), date(16)] })).body;
    expect(month.cohorts.every((c: any) => c.cohort.endsWith('-01'))).toBe(true);
    expect(month.cohorts.reduce((s: number, c: any) => s + c.size, 0)).toBe(4);
  });

  it('bad input is a 400 naming the field', async () => {
    expect((await retention({ period: 'year' })).body.error).toMatchObject({ field: 'period' });
    expect((await retention({ period: undefined })).body.error).toMatchObject({ field: 'period' });
    expect((await retention({ periods: 0 })).body.error).toMatchObject({ field: 'periods' });
    expect((await retention({ periods: 101 })).body.error).toMatchObject({ field: 'periods' });
    expect((await retention({ periods: 1.5 })).body.error).toMatchObject({ field: 'periods' });
    expect((await retention({ date_range: 'forever' })).body.error).toMatchObject({ field: 'date_range' });
  });
});
