import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { consentToken, event, eventsOf, id, ORIGIN, post } from './helpers';

/** Every answer to bad input: a 4xx with {"error":{code,message,field?}} — never a 5xx. */
async function expectClientError(res: Response, status?: number, field?: string) {
  expect(res.status, await res.clone().text()).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  if (status) expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  if (field) expect(body.error.field).toBe(field);
}

describe('bad input never produces a 5xx', () => {
  const garbage: [string, string | Uint8Array][] = [
    ['empty', ''],
    ['not json', 'hello'],
    ['truncated', '{"s":"demo","e":[{'],
    ['null', 'null'],
    ['number', '42'],
    ['string', '"x"'],
    ['array', '[]'],
    ['deep nesting', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['deep object in props', JSON.stringify({ s: 'demo', e: [{ ...event(), p: JSON.parse('{"a":'.repeat(500) + '1' + '}'.repeat(500)) }] })],
    ['invalid utf-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['site wrong type', JSON.stringify({ s: 42, e: [event()] })],
    ['events not an array', JSON.stringify({ s: 'demo', e: {} })],
    ['no events', JSON.stringify({ s: 'demo', e: [] })],
    ['unknown site', JSON.stringify({ s: 'nope', e: [event()] })],
    ['too many events', JSON.stringify({ s: 'demo', e: Array.from({ length: 101 }, () => event()) })],
    ['token wrong type', JSON.stringify({ s: 'demo', t: 5, e: [event()] })],
    ['anon id with spaces', JSON.stringify({ s: 'demo', a: 'a b c d e f g h', e: [event()] })],
  ];
  for (const [name, body] of garbage) {
    it(`ingest: ${name}`, async () => {
      const res = await SELF.fetch('http://collector.test/v1/e', { method: 'POST', headers: { 'content-type': 'text/plain', origin: ORIGIN }, body });
      await expectClientError(res);
    });
  }

  it('too large a body: 413 naming the body', async () => {
    await expectClientError(await post('/v1/e', 'x'.repeat(70_000)), 413, 'body');
  });

  it('wrong content types: 415', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png', '']) {
      const res = await SELF.fetch('http://collector.test/v1/e', { method: 'POST', headers: { 'content-type': type, origin: ORIGIN }, body: '{}' });
      await expectClientError(res, 415, 'content-type');
    }
  });

  it('application/json is accepted as well as text/plain', async () => {
    const res = await post('/v1/e', { s: 'demo', e: [event()] }, { 'content-type': 'application/json' });
    expect(res.status).toBe(202);
  });

  it('wrong types per field are rejected per event, good events kept', async () => {
    const token = await consentToken({ analytics: true });
    const good = event();
    const bad: [unknown, string][] = [
      [{ ...event(), i: 12345678 }, 'e.0.i'],
      [{ ...event(), n: ['x'] }, 'e.1.n'],
      [{ ...event(), c: null }, 'e.2.c'],
      [{ ...event(), ts: 'yesterday' }, 'e.3.ts'],
      [{ ...event(), ts: Date.now() - 30 * 864e5 }, 'e.4.ts'],
      [{ ...event(), ts: Date.now() + 3600e3 }, 'e.5.ts'],
      [{ ...event(), u: 'javascript:alert(1)' }, 'e.6.u'],
      [{ ...event(), u: 'x'.repeat(3000) }, 'e.7.u'],
      [{ ...event(), p: [1, 2] }, 'e.8.p'],
      [{ ...event(), p: { nested: { a: 1 } } }, 'e.9.p.nested'],
      [{ ...event(), p: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])) }, 'e.10.p'],
      [{ ...event(), p: { long: 'y'.repeat(600) } }, 'e.11.p.long'],
      [{ ...event(), n: 'n'.repeat(65) }, 'e.12.n'],
      [{ ...event(), n: 'tab\there' }, 'e.13.n'],
      [{ ...event(), n: 'lone \ud800 surrogate' }, 'e.14.n'],
      [{ ...event(), n: 'pageview', x: 1 }, 'e.15.n'],
      ['not an object', 'e.16'],
      [null, 'e.17'],
    ];
    const res = await post('/v1/e', { s: 'demo', t: token, a: id('anon'), e: [...bad.map(([e]) => e), good] });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; field?: string }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => r.field)).toEqual(bad.map(([, f]) => f));
    expect(await eventsOf({ ids: [good.i] })).toHaveLength(1);
  });

  it('prototype-pollution keys are refused and pollute nothing', async () => {
    const token = await consentToken({ analytics: true });
    const good = event({ p: { ok: 'fine', 'emoji 🎉': 'ünïcødé ✓' } });
    const raw = `{"s":"demo","t":"${token}","a":"${id('anon')}","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"e":[${JSON.stringify(good)},{"i":"${id('ev')}","n":"x","c":"analytics","ts":${Date.now()},"u":"https://a.example/","x":1,"p":{"__proto__":{"polluted":true}}},{"i":"${id('ev')}","n":"y","c":"analytics","ts":${Date.now()},"u":"https://a.example/","x":1,"p":{"constructor":"x"}}]}`;
    const res = await post('/v1/e', raw);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: { field?: string }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => r.field)).toEqual(['e.1.p.__proto__', 'e.2.p.constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const [row] = await eventsOf({ ids: [good.i] });
    expect(JSON.parse(row!.props as string)).toEqual({ ok: 'fine', 'emoji 🎉': 'ünïcødé ✓' });
  });

  it('all events invalid: 400 with the list', async () => {
    const res = await post('/v1/e', { s: 'demo', e: [{ i: 1 }, { n: 2 }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; field: string }; rejected: unknown[] };
    expect(body.error).toMatchObject({ code: 'invalid_events', field: 'e.0.i' });
    expect(body.rejected).toHaveLength(2);
  });

  it('consent endpoint: bad bodies are 4xx naming the field', async () => {
    const base = { s: 'demo', id: crypto.randomUUID(), ri: id('r'), g: { analytics: true }, v: '2026-11-01', m: 'banner', ts: Date.now() };
    const cases: [unknown, string][] = [
      [{ ...base, g: { analytics: 'yes' } }, 'g.analytics'],
      [{ ...base, g: { spying: true } }, 'g.spying'],
      [{ ...base, m: 'forced' }, 'm'],
      [{ ...base, id: '' }, 'id'],
      [{ ...base, id: 'short-guessable' }, 'id'],
      [{ ...base, k: 'short' }, 'k'],
      [{ ...base, a: id('anon') }, 'k'],
    ];
    for (const [body, field] of cases) await expectClientError(await post('/v1/consent', body), 400, field);
    await expectClientError(await post('/v1/consent', 'x'.repeat(9000)), 413);
  });

  it('unknown paths and methods: 404 JSON', async () => {
    await expectClientError(await SELF.fetch('http://collector.test/v1/nothing'), 404);
    await expectClientError(await SELF.fetch('http://collector.test/v1/e'), 404);
  });

  it('query strings that make no sense: 4xx', async () => {
    await expectClientError(await SELF.fetch('http://collector.test/v1/config?s=%00'), 404, 's');
    await expectClientError(await SELF.fetch('http://collector.test/api/v1/events?site_id=demo'), 401, 'authorization');
    const auth = { authorization: 'Bearer dev-admin-key' };
    await expectClientError(await SELF.fetch('http://collector.test/api/v1/events?site_id=demo&cursor=-1', { headers: auth }), 400, 'cursor');
    await expectClientError(await SELF.fetch('http://collector.test/api/v1/events?site_id=demo&limit=0', { headers: auth }), 400, 'limit');
    await expectClientError(await SELF.fetch('http://collector.test/api/v1/events?site_id=demo&from=someday', { headers: auth }), 400, 'from');
    // Impossible calendar days are refused, not rolled over (2026-02-30 would read as March 2nd).
    await expectClientError(await SELF.fetch('http://collector.test/api/v1/events?site_id=demo&to=2026-02-30', { headers: auth }), 400, 'to');
    await expectClientError(await SELF.fetch('http://collector.test/api/v1/consent/receipts?site_id=demo&from=2026-13-01T00:00:00Z', { headers: auth }), 400, 'from');
  });
});
