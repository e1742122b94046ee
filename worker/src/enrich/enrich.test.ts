import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { campaignFrom } from './campaign';
import { enrichEvent } from './event';
import { geoFrom } from './geo';
import { classify } from './referrer';
import { cleanProps, cleanUrl } from './url';
import { parseAgent } from './user-agent';
import { dailySalt, deleteOldSalts, forgetSalt, utcDay, visitorHash } from './visitor-hash';

describe('enrichment', () => {
  it('classifies referrers into source and medium', () => {
    const page = new URL('https://shop.example/');
    const none = { utm_source: null, utm_medium: null, click_id: null };
    expect(classify(undefined, page, none)).toEqual({ source: null, medium: 'direct', referrerHost: null });
    expect(classify('https://www.google.co.uk/search?q=x', page, none)).toMatchObject({ source: 'Google', medium: 'search' });
    expect(classify('https://duckduckgo.com/', page, none)).toMatchObject({ source: 'DuckDuckGo', medium: 'search' });
    expect(classify('https://t.co/abc', page, none)).toMatchObject({ source: 'Twitter', medium: 'social' });
    expect(classify('https://mail.google.com/', page, none)).toMatchObject({ source: 'Gmail', medium: 'email' });
    expect(classify('https://blog.example.org/post', page, none)).toMatchObject({ source: 'blog.example.org', medium: 'referral' });
    expect(classify('https://shop.example/other', page, none)).toMatchObject({ medium: 'internal' });
    expect(classify('https://www.google.com/', page, { ...none, click_id: 'gclid:1' })).toMatchObject({ source: 'Google', medium: 'paid' });
    expect(classify(undefined, page, { utm_source: 'nl', utm_medium: 'Email', click_id: null })).toMatchObject({ source: 'nl', medium: 'email' });
    expect(classify('not a url', page, none)).toMatchObject({ medium: 'direct' });
  });

  it('reads UTM parameters and the first click id', () => {
    expect(campaignFrom(new URL('https://s.example/?utm_source=a&utm_medium=b&utm_campaign=c&utm_term=d&utm_content=e&fbclid=F&gclid=G'))).toEqual({
      utm_source: 'a', utm_medium: 'b', utm_campaign: 'c', utm_term: 'd', utm_content: 'e', click_id: 'gclid:G',
    });
  });

  it('parses agents and flags bots and headless browsers', () => {
    expect(parseAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1')).toMatchObject({ browser: 'Mobile Safari', os: 'iOS', device: 'mobile', bot: false });
    expect(parseAgent('Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)').bot).toBe(true);
    expect(parseAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36').bot).toBe(true);
    expect(parseAgent(null).bot).toBe(true);
  });

  it('geo is null when request.cf has nothing (local), never a crash', () => {
    expect(geoFrom(undefined)).toEqual({ country: null, region: null, city: null, timezone: null });
    expect(geoFrom({ country: 'DE', region: 'Berlin', city: 'Berlin', timezone: 'Europe/Berlin' })).toEqual({ country: 'DE', region: 'Berlin', city: 'Berlin', timezone: 'Europe/Berlin' });
  });

  it('visitor hash: same within a day, different after the salt rotates; old salts are deleted', async () => {
    forgetSalt();
    const day1 = Date.UTC(2026, 0, 10, 12);
    const day2 = day1 + 864e5;
    const s1 = await dailySalt(env.DB, day1);
    expect(await dailySalt(env.DB, day1 + 3600e3)).toBe(s1);
    const h1 = await visitorHash(s1, 'demo', '198.51.100.1', 'UA');
    expect(await visitorHash(s1, 'demo', '198.51.100.1', 'UA')).toBe(h1);
    const s2 = await dailySalt(env.DB, day2);
    expect(s2).not.toBe(s1);
    expect(await visitorHash(s2, 'demo', '198.51.100.1', 'UA')).not.toBe(h1);
    expect(await deleteOldSalts(env.DB, day2)).toBeGreaterThanOrEqual(1);
    const left = await env.DB.prepare('SELECT day FROM salts WHERE day < ?').bind(utcDay(day2)).all();
    expect(left.results).toEqual([]);
    forgetSalt();
  });

  it('cleans URLs: credentials, session path parameters, query but campaign parameters, fragment', () => {
    expect(cleanUrl('https://u:p@shop.example/a;jsessionid=X1/b?password=x&utm_source=nl&card=4&gclid=G&msclkid=M&li_fat_id=L#access_token=t')).toBe(
      'https://shop.example/a/b?utm_source=nl&gclid=G&msclkid=M&li_fat_id=L',
    );
    expect(cleanUrl('https://shop.example/?password=x#top')).toBe('https://shop.example/');
    // clean input comes back unchanged, byte for byte (kept parameters are not re-encoded)
    for (const clean of ['https://shop.example/p', 'https://shop.example/p?utm_source=a%20b&utm_medium=e+mail', 'https://medium.com/@user/post', 'android-app://com.google.android.gm/']) {
      expect(cleanUrl(clean)).toBe(clean);
    }
    // relative values and encoded parameter names
    expect(cleanUrl('/signup?card=4111#x')).toBe('/signup');
    expect(cleanUrl('?%75tm_source=a&pass%77ord=b&%E0%A4%A=c')).toBe('?%75tm_source=a');
    // hash routing keeps the route, never what follows it
    expect(cleanUrl('https://app.example/#/cart?token=t', true)).toBe('https://app.example/#/cart');
    expect(cleanUrl('https://app.example/#!/orders/7&x=1', true)).toBe('https://app.example/#!/orders/7');
    expect(cleanUrl('https://app.example/#access_token=t&type=bearer', true)).toBe('https://app.example/#access_token');
    expect(cleanUrl('https://app.example/#=t', true)).toBe('https://app.example/');
    expect(cleanUrl('https://app.example/#/cart')).toBe('https://app.example/');
  });

  it('cleans URL-valued props, and absolute URLs inside other text', () => {
    expect(
      cleanProps({ href: 'https://x.example/r?token=t&utm_campaign=c#f', form: '/signup?csrf=t', text: 'Reset: https://x.example/r?k=1 (expires)', n: 3, ok: true, none: null, plain: 'a?b' }),
    ).toEqual({ href: 'https://x.example/r?utm_campaign=c', form: '/signup', text: 'Reset: https://x.example/r (expires)', n: 3, ok: true, none: null, plain: 'a?b' });
  });

  it('enrichEvent stores cleaned URLs; a cookieless page view has no page-view id and no props', () => {
    const u = 'https://shop.example/p?password=x&utm_source=nl#access_token=t';
    const e = { i: 'ev-12345678', n: 'pageview', c: 'analytics', ts: 1, u, r: 'https://www.google.com/search?q=secret', pv: 'pv-12345678', p: { href: '/a?b=c' } };
    expect(enrichEvent(e, new URL(u))).toMatchObject({ url: 'https://shop.example/p?utm_source=nl', referrer: 'https://www.google.com/search', source: 'nl', utm_source: 'nl', pageview_id: 'pv-12345678', props: '{"href":"/a"}' });
    expect(enrichEvent(e, new URL(u), { cookieless: true })).toMatchObject({ url: 'https://shop.example/p?utm_source=nl', pageview_id: null, props: null });
  });
});
