import type { SiteConfigAnswer } from '../../shared/wire';
import { D } from './util';

/** What the script tag says (CONTRACT §1), read once at start. */
export interface Settings {
  site: string;
  api: string;
  lang: string;
}

export function readSettings(): Settings | null {
  const el = (D.currentScript ?? D.querySelector('script[data-site]')) as HTMLScriptElement | null;
  const site = el?.dataset.site;
  if (!el || !site) return null;
  const api = (el.dataset.api ?? new URL(el.src, location.href).origin).replace(/\/$/, '');
  const lang = el.dataset.lang ?? (D.documentElement.lang || (navigator.languages ?? [navigator.language]).join(','));
  return { site, api, lang };
}

/** The site's banner texts and categories in the visitor's language (HTTP-cached by the collector). */
export async function fetchConfig(s: Settings): Promise<SiteConfigAnswer> {
  const r = await fetch(`${s.api}/v1/config?s=${encodeURIComponent(s.site)}&l=${encodeURIComponent(s.lang)}`, { credentials: 'omit' });
  if (!r.ok) throw Error(`config ${r.status}`);
  return r.json();
}

