import { z } from 'zod';
import { categorySchema, siteIdSchema } from '../../../shared/schema';
import { checkJourney, journeyFields } from './journey';

const origin = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s;
  } catch {
    return false;
  }
}, 'must be an origin like https://www.example.com (scheme, host and port only)');

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must name an environment variable / wrangler secret (A-Z, 0-9, _)');

const bannerTexts = z
  .object({
    title: z.string(), body: z.string(), accept: z.string(), reject: z.string(), prefs: z.string(), save: z.string(),
    prefsTitle: z.string(), gpc: z.string(), yourData: z.string(), download: z.string(), erase: z.string(),
    downloaded: z.string(), erased: z.string(), noData: z.string(), failed: z.string(), close: z.string(),
    eraseAsk: z.string(), eraseYes: z.string(), cancel: z.string(),
  })
  .partial()
  .strict();

const languagePack = z
  .object({
    banner: bannerTexts.optional(),
    categories: z.record(categorySchema, z.object({ name: z.string().min(1), desc: z.string() }).partial().strict()).optional(),
  })
  .strict();

const category = z
  .object({
    id: categorySchema.refine((id) => id !== 'necessary', '"necessary" is built in and always on'),
    services: z.array(z.string().min(1)).default([]),
  })
  .strict();

const destination = z
  .object({
    name: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case name, 1–32 characters'),
    url: z.string().url().refine((u) => u.startsWith('https://') || u.startsWith('http://'), 'must be an http(s) URL'),
    categories: z.array(categorySchema).min(1, 'a destination must declare which consent categories it may receive'),
    secret_env: envName,
    events: z.array(z.string()).optional(),
  })
  .strict();

export const siteSchema = z
  .object({
    name: z.string().min(1),
    origins: z.array(origin).min(1, 'at least one allowed origin'),
    timezone: z.string().refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Europe/Berlin').default('UTC'),
    policy_version: z.string().min(1).max(64),
    cookieless: z.boolean().default(false),
    consent_mode: z.boolean().default(false),
    hash_routing: z.boolean().default(false),
    bots: z.enum(['drop', 'flag']).default('drop'),
    identity_secret_env: envName.optional(),
    allowed_traits: z.array(z.string().min(1).max(64)).default([]),
    categories: z.array(category).min(1),
    texts: z.record(z.string().regex(/^[a-z]{2}(-[A-Za-z0-9]+)?$/, 'language tag such as en or de-AT'), languagePack).default({}),
    // `events`: the stats rollups (visits, pages); `hot`: raw events in D1 (older ones are in the Parquet archive only);
    // `archive`: the R2 archive's partitions. docs/ARCHITECTURE.md, "Archive".
    retention_days: z
      .object({
        events: z.number().int().min(1).max(3650),
        receipts: z.number().int().min(1).max(3650),
        archive: z.number().int().min(1).max(3650),
        hot: z.number().int().min(1).max(3650).default(35),
      })
      .strict()
      .default({ events: 395, receipts: 1825, archive: 395, hot: 35 }),
    destinations: z.array(destination).default([]),
    // goals, currency, currency_rates, targets: the journey KPIs (config/journey.ts)
    ...journeyFields,
    // Server-side events (/segment/v1/*): "recorded" stores an event only if the subject's latest decision recorded here
    // grants its category; "declared" takes the grant from the event's context.consent.categoryPreferences (the site's
    // own CMP), a recorded denial, withdrawal or erasure still winning. See docs/ARCHITECTURE.md, "Server-side events".
    server_consent: z.enum(['recorded', 'declared']).default('recorded'),
  })
  .strict()
  .superRefine((site, ctx) => {
    const ids = site.categories.map((c) => c.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['categories', i, 'id'], message: `duplicate category "${id}"` });
    });
    if (site.retention_days.hot > site.retention_days.events) {
      ctx.addIssue({ code: 'custom', path: ['retention_days', 'hot'], message: `must be at most retention_days.events (${site.retention_days.events}): raw events can't outlive the stats built from them` });
    }
    site.destinations.forEach((d, i) =>
      d.categories.forEach((c, j) => {
        if (!ids.includes(c)) ctx.addIssue({ code: 'custom', path: ['destinations', i, 'categories', j], message: `unknown category "${c}"` });
      }),
    );
    checkJourney(site, ctx);
  });

export const configSchema = z.object({ sites: z.record(siteIdSchema, siteSchema) }).strict();

export type SiteConfig = z.output<typeof siteSchema> & { id: string };
export type Config = { sites: Record<string, SiteConfig> };
