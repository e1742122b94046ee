import { Hono } from 'hono';
import type { SiteConfigAnswer } from '../../../shared/wire';
import type { SiteConfig } from '../config/schema';
import { getSite } from '../config/sites';
import { DEFAULT_TEXTS } from '../config/texts';
import type { AppEnv } from '../env';
import { checkOrigin } from '../http/cors';
import { apiError } from '../http/errors';

/** Picks the first supported language of `wanted` (e.g. "de-AT,en"): exact tag, then its primary subtag. */
export function pickLanguage(site: SiteConfig, wanted: string): string {
  const available = new Set([...Object.keys(DEFAULT_TEXTS), ...Object.keys(site.texts)]);
  for (const tag of wanted.split(',').map((t) => t.trim()).filter(Boolean)) {
    if (available.has(tag)) return tag;
    const primary = tag.split('-')[0]!.toLowerCase();
    if (available.has(primary)) return primary;
  }
  return 'en';
}

/** The banner's texts and categories for one language: site overrides on top of the shipped defaults. */
export function siteConfigAnswer(site: SiteConfig, lang: string): SiteConfigAnswer {
  const base = DEFAULT_TEXTS[(lang.split('-')[0] as 'en' | 'de')] ?? DEFAULT_TEXTS.en;
  const own = site.texts[lang] ?? {};
  const catText = (id: string) => ({ name: id, desc: '', ...base.categories[id], ...own.categories?.[id] });
  return {
    v: site.policy_version,
    cl: site.cookieless,
    gcm: site.consent_mode,
    hash: site.hash_routing,
    lang,
    tx: { ...base.banner, ...own.banner },
    cats: [
      { id: 'necessary', ...catText('necessary'), req: true },
      ...site.categories.map((c) => ({ id: c.id, ...catText(c.id), ...(c.services.length ? { svc: c.services } : {}) })),
    ],
  };
}

/** GET /v1/config?s=<site>&l=<languages> — what the banner needs; cacheable for 5 minutes. */
export const siteConfigRoute = new Hono<AppEnv>().get('/v1/config', function getSiteConfig(c) {
  const id = c.req.query('s') ?? '';
  const site = getSite(id);
  if (!site) throw apiError(404, 'unknown_site', `no site "${id}" is configured`, 's');
  checkOrigin(c, site);
  const lang = pickLanguage(site, (c.req.query('l') ?? '').slice(0, 200));
  c.header('Cache-Control', 'public, max-age=300');
  return c.json(siteConfigAnswer(site, lang));
});
