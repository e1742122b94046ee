import { describe, expect, it } from 'vitest';
import { consentToken, event, eventsOf, id, post } from './helpers';

/**
 * Cookieless mode (`"cookieless": true`, site demo-cookieless): without analytics consent a page view is
 * stored bare — whatever the client sends (an old cached snippet, a hand-written client) — with the daily
 * visitor hash as its only way to count visitors.
 */
const LEAKY = 'https://shop.example/signup?password=hunter2secret&card=4111111111111111&utm_source=nl&gclid=G1#access_token=tok-secret';
const LEAKY_REF = 'https://user:pw@news.example/article;jsessionid=S3CR3T?session=abc#frag';

describe('cookieless page views without analytics consent', () => {
  it('store no identifier, no page-view id, no props, and URLs without query (but campaign) or fragment', async () => {
    const pv = event({ u: LEAKY, r: LEAKY_REF, pv: id('pv'), p: { plan: 'pro', email: 'someone@example.com' } });
    const res = await post('/v1/e', { s: 'demo-cookieless', a: id('anon'), ss: id('sess'), u: 'user-1', e: [pv] });
    expect(await res.json()).toMatchObject({ accepted: 1, dropped: 0 });
    const [row] = await eventsOf({ ids: [pv.i] });
    expect(row).toMatchObject({
      name: 'pageview',
      cookieless: 1,
      consent: '',
      anon_id: null,
      session_id: null,
      user_id: null,
      pageview_id: null,
      props: null,
      url: 'https://shop.example/signup?utm_source=nl&gclid=G1',
      path: '/signup',
      // reduced as for consented traffic: no credentials, session path parameter, query or fragment
      referrer: 'https://news.example/article',
      ref_host: 'news.example',
      utm_source: 'nl',
      click_id: 'gclid:G1',
    });
    expect(row!.visitor_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(row)).not.toMatch(/hunter2secret|4111111111111111|tok-secret|S3CR3T|someone@|user-1|:pw@/);
  });

  it('with analytics consent the same page view keeps its page-view id and props (URLs cleaned all the same)', async () => {
    const token = await consentToken({ analytics: true }, { s: 'demo-cookieless' });
    const anon = id('anon');
    const pvId = id('pv');
    const pv = event({ u: LEAKY, r: LEAKY_REF, pv: pvId, p: { plan: 'pro' } });
    const res = await post('/v1/e', { s: 'demo-cookieless', t: token, a: anon, ss: id('sess'), e: [pv] });
    expect(await res.json()).toMatchObject({ accepted: 1 });
    const [row] = await eventsOf({ ids: [pv.i] });
    expect(row).toMatchObject({ cookieless: 0, anon_id: anon, pageview_id: pvId, url: 'https://shop.example/signup?utm_source=nl&gclid=G1', referrer: 'https://news.example/article' });
    expect(JSON.parse(row!.props as string)).toEqual({ plan: 'pro' });
  });
});
