import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLICK_IDS } from '../../worker/src/enrich/campaign';
import { cleanUrl as edgeClean } from '../../worker/src/enrich/url';

/**
 * The snippet cleans URLs before they leave the browser with a compact pattern (bytes count there); the collector cleans
 * them again with its list of click ids. The two must keep the same parameters: a click id the snippet dropped would never
 * reach the collector (a LinkedIn ad visit would not count as Paid), one it kept beyond the list would travel for nothing.
 */
let cleanUrl: (href: string, route?: boolean) => string;
const globals = globalThis as Record<string, unknown>;

beforeAll(async () => {
  // util.ts names window and document when it loads; cleanUrl itself needs only URL.
  Object.assign(globals, { window: globalThis, document: {}, DEBUG: false });
  ({ cleanUrl } = await import('./util'));
});
afterAll(() => {
  for (const k of ['window', 'document', 'DEBUG']) delete globals[k];
});

describe("the snippet's URL cleaning", () => {
  it('keeps every click id the collector keeps, and utm_* parameters', () => {
    const kept = ['utm_source=nl', 'utm_campaign=x', ...CLICK_IDS.map((k) => `${k}=v`)];
    const url = `https://shop.example/p?${kept.join('&')}`;
    expect(cleanUrl(url)).toBe(url);
    expect(edgeClean(url)).toBe(url);
  });

  it('drops everything else: typed values, client and visitor ids, tokens, credentials, the fragment', () => {
    const url = 'https://user:pw@shop.example/p?q=typed&email=a%40b.example&cid=123.456&ecid=MCMID&token=t&uuid=u&utm_source=nl#access_token=x';
    expect(cleanUrl(url)).toBe('https://shop.example/p?utm_source=nl');
    expect(edgeClean(url)).toBe('https://shop.example/p?utm_source=nl');
  });
});
