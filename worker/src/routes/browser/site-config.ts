import { Hono } from 'hono';
import type { LegacySiteConfigAnswer, PanelConfigAnswer, SiteConfigAnswer } from '../../../../shared/wire';
import type { SiteConfig } from '../../config/schema';
import { DEFAULT_TEXTS } from '../../config/texts';
import type { AppEnv } from '../../env';
import { siteFromQuery } from '../../http/site-request';

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

/**
 * What the first page view needs: the rules and the banner's texts, site overrides on top of the shipped
 * defaults. Short keys, texts in a fixed order and flags only when on: every byte of this answer is part
 * of the first page view.
 */
export function siteConfigAnswer(site: SiteConfig, lang: string): SiteConfigAnswer {
  const { title, body, accept, reject, prefs } = texts(site, lang);
  return {
    v: site.policy_version,
    ...(site.cookieless && { cl: true }),
    ...(site.consent_mode && { gcm: true }),
    ...(site.hash_routing && { hash: true }),
    l: lang,
    t: [title, body, accept, reject, prefs],
    c: site.categories.map((c) => c.id),
  };
}

/**
 * The same in its earlier shape, for a tp.js fetched before `f=2` existed: the snippet may be served
 * from cache for a day after a deploy (stale-while-revalidate), so this can go a few days after it.
 */
function legacyConfigAnswer(site: SiteConfig, lang: string): LegacySiteConfigAnswer {
  const { l, t, c, ...rest } = siteConfigAnswer(site, lang);
  const [title, body, accept, reject, prefs] = t;
  return { ...rest, lang: l, tx: { title, body, accept, reject, prefs }, cats: c };
}

/** The preferences dialog's texts: every category with its description and services. */
export function panelConfigAnswer(site: SiteConfig, lang: string): PanelConfigAnswer {
  const base = DEFAULT_TEXTS[lang.split('-')[0] as 'en' | 'de'] ?? DEFAULT_TEXTS.en;
  const own = site.texts[lang] ?? {};
  const catText = (id: string) => ({ name: id, desc: '', ...base.categories[id], ...own.categories?.[id] });
  return {
    tx: texts(site, lang),
    cats: [
      { id: 'necessary', ...catText('necessary'), req: true },
      ...site.categories.map((c) => ({ id: c.id, ...catText(c.id), ...(c.services.length ? { svc: c.services } : {}) })),
    ],
  };
}

function texts(site: SiteConfig, lang: string) {
  const base = DEFAULT_TEXTS[lang.split('-')[0] as 'en' | 'de'] ?? DEFAULT_TEXTS.en;
  return { ...base.banner, ...site.texts[lang]?.banner };
}

/** GET /v1/config?s=<site>&l=<languages>[&f=2|&p=1] — what the banner (or, with p=1, the dialog) needs; cacheable for 5 minutes. */
export const siteConfigRoute = new Hono<AppEnv>().get('/v1/config', function getSiteConfig(c) {
  const site = siteFromQuery(c);
  const lang = pickLanguage(site, (c.req.query('l') ?? '').slice(0, 200));
  c.header('Cache-Control', 'public, max-age=300');
  const answer = c.req.query('p') ? panelConfigAnswer : c.req.query('f') == '2' ? siteConfigAnswer : legacyConfigAnswer;
  return c.json(answer(site, lang));
});
