import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { consentedBrowser } from './helpers';
import { basic, batch, call, count, createWriteKey, segment } from './segment-helpers';

/** The bad-input suite (bad-input.test.ts) for the Segment-compatible endpoints: a 4xx with the error shape, never a 5xx. */
async function expectClientError(res: Response, status?: number) {
  expect(res.status, await res.clone().text()).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  if (status) expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
}

const PATHS = ['/segment/v1/batch', '/segment/v1/track', '/segment/v1/identify', '/segment/v1/page', '/segment/v1/screen', '/segment/v1/group', '/segment/v1/alias', '/v1/b', '/v1/t', '/v1/a'];
const garbage: [string, string | Uint8Array][] = [
  ['empty', ''],
  ['not json', 'hello'],
  ['truncated', '{"batch":[{'],
  ['null', 'null'],
  ['number', '42'],
  ['array', '[]'],
  ['deep nesting', '['.repeat(100_000) + ']'.repeat(100_000)],
  ['deep properties', JSON.stringify({ batch: [{ type: 'track', event: 'x', anonymousId: 'a-1', properties: JSON.parse('{"a":'.repeat(2000) + '1' + '}'.repeat(2000)) }], type: 'track', event: 'x', anonymousId: 'a-1' })],
  ...[3_000, 10_000, 30_000, 100_000].map((depth): [string, string] => {
    const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    return [`nesting ${depth} deep in properties`, `{"batch":[{"type":"track","event":"x","anonymousId":"a-1","properties":{"a":${deep}}}],"type":"track","event":"x","anonymousId":"a-1","properties":{"a":${deep}}}`];
  }),
  ['invalid utf-8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
  ['batch not an array', JSON.stringify({ batch: { type: 'track' } })],
  ['empty batch', JSON.stringify({ batch: [] })],
  ['calls of the wrong types', JSON.stringify({ batch: [1, 'x', null, [], true], type: 7, event: 5, userId: {}, anonymousId: [] })],
  ['ids of the wrong types', JSON.stringify({ batch: [{ type: 'track', event: 'x', userId: { id: 1 }, anonymousId: true }], event: 'x', userId: { id: 1 }, anonymousId: true, previousId: 1.5e400 })],
  ['bad times', JSON.stringify({ sentAt: 'never', batch: [{ type: 'track', event: 'x', anonymousId: 'a-1', timestamp: { t: 1 } }], event: 'x', anonymousId: 'a-1', timestamp: 'x'.repeat(100_000) })],
  ['context not an object', JSON.stringify({ context: 'x', batch: [{ type: 'track', event: 'x', anonymousId: 'a-1', context: [] }], event: 'x', anonymousId: 'a-1', context: 5 })],
  ['huge ids', JSON.stringify({ batch: [{ type: 'track', event: 'x', anonymousId: 'a'.repeat(5000), messageId: 'm'.repeat(5000) }], event: 'x', anonymousId: 'a'.repeat(5000) })],
];

describe('bad input on the Segment-compatible endpoints never produces a 5xx', () => {
  for (const path of PATHS) {
    it(`${path}: garbage bodies`, async () => {
      for (const [name, body] of garbage) {
        const res = await SELF.fetch(`http://collector.test${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic('dev-write-key') }, body });
        expect(res.status, name).toBeLessThan(500);
        if (res.status >= 400) await expectClientError(res);
      }
    });
  }

  it('wrong content types and encodings: 415; a broken gzip stream: 400', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png']) {
      await expectClientError(await segment('/segment/v1/batch', { batch: [call()] }, { headers: { 'content-type': type } }), 415);
    }
    await expectClientError(await segment('/segment/v1/batch', { batch: [call()] }, { headers: { 'content-encoding': 'br' } }), 415);
    await expectClientError(await segment('/segment/v1/batch', 'not gzip at all', { headers: { 'content-encoding': 'gzip' } }), 400);
  });

  it('prototype-pollution keys pollute nothing', async () => {
    const b = await consentedBrowser();
    const raw = `{"batch":[{"type":"track","event":"x","anonymousId":"${b.a}","properties":{"__proto__":{"polluted":true},"ok":1},"context":{"__proto__":{"polluted":true},"consent":{"categoryPreferences":{"__proto__":{"analytics":true}}}}},{"type":"identify","userId":"u-proto-1","anonymousId":"${b.a}","traits":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}],"__proto__":{"polluted":true}}`;
    const res = await segment('/segment/v1/batch', raw);
    expect(res.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('unknown Segment paths: 404 JSON; GET on a tracking path: 404', async () => {
    await expectClientError(await segment('/segment/v1/import', { batch: [] }), 404);
    await expectClientError(await SELF.fetch('http://collector.test/segment/v1/batch'), 404);
  });

  it('a bulk batch of identify/alias calls: past 100 each is rejected by index, the rest of the batch goes through', async () => {
    // A site whose back end declares consent per call (demo-cookieless: "server_consent": "declared"), so every call links.
    const key = await createWriteKey('demo-cookieless');
    const declared = { consent: { categoryPreferences: { analytics: true } } };
    const calls = Array.from({ length: 101 }, (_, i) => call({ type: 'identify', userId: `u-bulk-${i}`, anonymousId: `a-bulk-${i}`, context: declared }));
    const answer = await batch([...calls, call({ anonymousId: 'a-bulk-track', context: declared })], { key });
    expect(answer.rejected).toEqual([{ index: 100, code: 'too_many_identity_calls', message: expect.stringContaining('at most 100 identify/alias calls per batch'), field: 'batch.100.type' }]);
    expect(answer.accepted).toBe(101);
    expect(await count("SELECT count(*) AS n FROM identity_links WHERE site_id = 'demo-cookieless' AND user_id LIKE 'u-bulk-%'")).toBe(100);
  }, 30_000);

  it('a batch with only unusable calls: 400 listing each', async () => {
    const answer = await batch([{}, { type: 'track' }], { status: 400 });
    expect(answer.rejected).toHaveLength(2);
  });
});
