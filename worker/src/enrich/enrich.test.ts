import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { campaignFrom } from './campaign';
import { geoFrom } from './geo';
import { classify } from './referrer';
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
});
