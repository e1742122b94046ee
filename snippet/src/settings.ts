import { PATH, type SiteConfigAnswer } from '../../shared/wire';
import { D } from './util';

/** What the script tag says (CONTRACT §1), read once at start. */
export interface Settings {
  site: string;
  api: string;
  /** `?s=<site>&l=<languages>`: the query of every config request */
  qs: string;
}

export function readSettings(): Settings | null {
  const el = (D.currentScript ?? D.querySelector('script[data-site]')) as HTMLScriptElement | null;
  const site = el?.dataset.site;
  if (!el || !site) return null;
  const api = (el.dataset.api ?? new URL(el.src, location.href).origin).replace(/\/$/, '');
  const lang = el.dataset.lang ?? (D.documentElement.lang || navigator.languages.join());
  return { site, api, qs: '?s=' + encodeURIComponent(site) + '&l=' + encodeURIComponent(lang) };
}

/** The site's banner texts and categories in the visitor's language (HTTP-cached by the collector); `f=2`: the short answer. */
export async function fetchConfig(s: Settings): Promise<SiteConfigAnswer> {
  const r = await fetch(s.api + PATH.config + s.qs + '&f=2', { credentials: 'omit' });
  if (!r.ok) throw r.status;
  return r.json();
}

