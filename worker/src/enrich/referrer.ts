/**
 * Referrer → source and medium class. Hosts follow the public referer lists that analytics tools
 * share (Snowplow's referer-parser, GA4's default channel groups), cut to the sources that matter.
 */
export type Medium = 'direct' | 'internal' | 'search' | 'social' | 'email' | 'referral' | 'paid' | 'unknown';

export interface Source {
  /** readable source name (Google, Facebook, example.org) or null for direct */
  source: string | null;
  medium: Medium;
  /** referrer host, without www. */
  referrerHost: string | null;
}

const SEARCH: Record<string, string> = {
  google: 'Google', bing: 'Bing', duckduckgo: 'DuckDuckGo', yahoo: 'Yahoo', baidu: 'Baidu', yandex: 'Yandex',
  ecosia: 'Ecosia', qwant: 'Qwant', startpage: 'Startpage', naver: 'Naver', seznam: 'Seznam', brave: 'Brave Search',
  kagi: 'Kagi', sogou: 'Sogou', so: '360 Search', ask: 'Ask', aol: 'AOL', yandex_ru: 'Yandex',
};
const SOCIAL: Record<string, string> = {
  'facebook.com': 'Facebook', 'fb.com': 'Facebook', 'm.facebook.com': 'Facebook', 'l.facebook.com': 'Facebook', 'lm.facebook.com': 'Facebook',
  'instagram.com': 'Instagram', 'l.instagram.com': 'Instagram', 't.co': 'Twitter', 'twitter.com': 'Twitter', 'x.com': 'Twitter',
  'linkedin.com': 'LinkedIn', 'lnkd.in': 'LinkedIn', 'reddit.com': 'Reddit', 'old.reddit.com': 'Reddit', 'out.reddit.com': 'Reddit',
  'youtube.com': 'YouTube', 'm.youtube.com': 'YouTube', 'youtu.be': 'YouTube', 'tiktok.com': 'TikTok', 'pinterest.com': 'Pinterest',
  'news.ycombinator.com': 'Hacker News', 'mastodon.social': 'Mastodon', 'bsky.app': 'Bluesky', 'threads.net': 'Threads',
  'xing.com': 'Xing', 'vk.com': 'VK', 'whatsapp.com': 'WhatsApp', 'web.whatsapp.com': 'WhatsApp', 't.me': 'Telegram',
  'discord.com': 'Discord', 'snapchat.com': 'Snapchat', 'quora.com': 'Quora', 'medium.com': 'Medium',
};
const EMAIL: Record<string, string> = {
  'mail.google.com': 'Gmail', 'outlook.live.com': 'Outlook', 'outlook.office.com': 'Outlook', 'outlook.office365.com': 'Outlook',
  'mail.yahoo.com': 'Yahoo Mail', 'mail.proton.me': 'Proton Mail', 'mail.aol.com': 'AOL Mail', 'webmail.gmx.net': 'GMX',
  'navigator.gmx.net': 'GMX', 'email.t-online.de': 'T-Online', 'web.de': 'WEB.DE', 'mail.yandex.ru': 'Yandex Mail',
};
const EMAIL_MEDIA = new Set(['email', 'e-mail', 'newsletter', 'mail']);
const SOCIAL_MEDIA = new Set(['social', 'social-network', 'social-media', 'sm', 'social network', 'social media']);
const PAID_MEDIA = new Set(['cpc', 'ppc', 'paid', 'paidsearch', 'paid_search', 'cpm', 'display', 'banner', 'retargeting']);
const SEARCH_MEDIA = new Set(['organic', 'search']);

function searchEngine(host: string): string | null {
  const labels = host.split('.');
  // google.com, google.co.uk, www.bing.com, search.yahoo.com, duckduckgo.com, yandex.ru …
  for (let i = 0; i < labels.length - 1; i++) {
    const name = SEARCH[labels[i]!];
    if (name && (i === labels.length - 2 || labels.length - i <= 3)) return name;
  }
  return null;
}

/**
 * Classifies the referrer of a page view. UTM medium/source win over the referrer, click ids mean paid.
 * @example classify('https://www.google.de/', new URL('https://shop.example/'), {}) // {source:'Google', medium:'search'}
 */
export function classify(referrer: string | undefined, page: URL, utm: { utm_source?: string | null; utm_medium?: string | null; click_id?: string | null }): Source {
  let host: string | null = null;
  if (referrer) {
    try {
      const r = new URL(referrer);
      if (r.protocol === 'http:' || r.protocol === 'https:') host = r.hostname.toLowerCase().replace(/^www\./, '');
    } catch {
      host = null;
    }
  }
  const pageHost = page.hostname.toLowerCase().replace(/^www\./, '');
  const medium = utm.utm_medium?.toLowerCase() ?? null;
  const utmSource = utm.utm_source ?? null;
  if (medium || utmSource) {
    const cls: Medium = medium
      ? EMAIL_MEDIA.has(medium) ? 'email' : SOCIAL_MEDIA.has(medium) ? 'social' : PAID_MEDIA.has(medium) ? 'paid' : SEARCH_MEDIA.has(medium) ? 'search' : 'referral'
      : 'referral';
    return { source: utmSource ?? host, medium: cls, referrerHost: host };
  }
  if (utm.click_id) return { source: host ? searchEngine(host) ?? SOCIAL[host] ?? host : null, medium: 'paid', referrerHost: host };
  if (!host) return { source: null, medium: 'direct', referrerHost: null };
  if (host === pageHost) return { source: null, medium: 'internal', referrerHost: host };
  // Exact hosts first: mail.google.com is webmail, not Google search.
  if (EMAIL[host]) return { source: EMAIL[host]!, medium: 'email', referrerHost: host };
  if (SOCIAL[host]) return { source: SOCIAL[host]!, medium: 'social', referrerHost: host };
  const engine = searchEngine(host);
  if (engine) return { source: engine, medium: 'search', referrerHost: host };
  return { source: host, medium: 'referral', referrerHost: host };
}
