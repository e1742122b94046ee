import type { Props } from '../../../shared/wire';
import { CLICK_IDS } from './campaign';

/*
 * URLs as they may be stored. A query string holds whatever a GET form, a reset link or a login
 * redirect put there (passwords, card numbers, tokens), a fragment holds OAuth tokens
 * (`#access_token=`), and `user:password@` is a credential, so a stored URL keeps only what analytics
 * reads: scheme, host, path, and the campaign parameters attribution needs. The snippet sends URLs
 * cleaned this way; the collector cleans again, because an old cached snippet or a hand-written
 * client may not.
 */

const CAMPAIGN = new Set(CLICK_IDS);
/** Query parameters a stored URL keeps: `utm_*` and the ad click ids `campaign.ts` reads. */
export const isCampaignParam = (name: string): boolean => name.startsWith('utm_') || CAMPAIGN.has(name);

const USERINFO = /^([a-z][a-z\d+.-]*:\/\/)[^/?#\\]*@/i;
/** Java servlets' session id rides in the path (`/cart;jsessionid=…`): a credential too. */
const PATH_SESSION = /;jsessionid=[^/?#]*/gi;
/**
 * On hash-routing sites the fragment's route is the page (`#/products/42`): what comes before its first `?`, `&`, `=`
 * or `;`. The rest is a query or a token (`#/cb?code=…`, `#access_token=…` keeps only `#access_token`).
 */
const HASH_ROUTE = /^#[^?&=;]+/;
const NEEDS_CLEANING = /[?#@;]/;

function paramName(pair: string): string {
  const raw = pair.split('=', 1)[0]!;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * A URL (absolute or relative, or any text) without credentials, session path parameters, non-campaign
 * query parameters and fragment; `hashRouting` keeps the route part of the fragment. Works on the
 * text, so a value that was clean comes back unchanged, byte for byte.
 * @example cleanUrl('https://u:p@shop.example/signup?password=x&utm_source=nl#access_token=t') // 'https://shop.example/signup?utm_source=nl'
 */
export function cleanUrl(s: string, hashRouting = false): string {
  if (!NEEDS_CLEANING.test(s)) return s;
  let out = s;
  let route = '';
  const h = out.indexOf('#');
  if (h >= 0) {
    if (hashRouting) route = HASH_ROUTE.exec(out.slice(h))?.[0] ?? '';
    out = out.slice(0, h);
  }
  const q = out.indexOf('?');
  if (q >= 0) {
    const kept = out.slice(q + 1).split('&').filter((pair) => isCampaignParam(paramName(pair)));
    out = out.slice(0, q) + (kept.length ? `?${kept.join('&')}` : '');
  }
  return out.replace(USERINFO, '$1').replace(PATH_SESSION, '') + route;
}

/** Props that hold a URL by their name (the snippet's `href`, a form named by its `action`, a site's own `url: …`). */
const URL_KEYS = new Set(['href', 'url', 'uri', 'src', 'action', 'form', 'link', 'page', 'path', 'location', 'referrer', 'referer']);
/** Absolute URLs inside any other text (a link whose visible text is its address). */
const URL_IN_TEXT = /\b[a-z][a-z\d+.-]*:\/\/[^\s"'<>]+/gi;

/**
 * Props with every URL in them cleaned: the whole value of URL-named keys, and each absolute URL
 * inside other strings. Other values are kept as they are.
 */
export function cleanProps(p: Props, hashRouting = false): Props {
  const out: Props = Object.create(null);
  for (const [k, v] of Object.entries(p)) {
    out[k] = typeof v !== 'string' || !NEEDS_CLEANING.test(v) ? v : URL_KEYS.has(k) ? cleanUrl(v, hashRouting) : v.replace(URL_IN_TEXT, (u) => cleanUrl(u, hashRouting));
  }
  return out;
}
