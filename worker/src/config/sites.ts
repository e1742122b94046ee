import raw from '../../../config/sites.json';
import { configSchema, type Config, type SiteConfig } from './schema';

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/**
 * Validates a site configuration. Errors name the offending key, e.g.
 * `sites.demo.origins.0: must be an origin like https://www.example.com …`.
 */
export function parseConfig(input: unknown): ConfigResult {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`) };
  }
  const sites: Record<string, SiteConfig> = {};
  for (const [id, site] of Object.entries(parsed.data.sites)) sites[id] = { ...site, id };
  return { ok: true, config: { sites } };
}

/** Fails module start-up (and so `wrangler dev` / `wrangler deploy`) with every bad key listed. */
function load(): Config {
  const result = parseConfig(raw);
  if (!result.ok) throw new Error(`Invalid config/sites.json:\n  ${result.errors.join('\n  ')}`);
  return result.config;
}

export const CONFIG: Config = load();

export function getSite(id: string): SiteConfig | undefined {
  return Object.hasOwn(CONFIG.sites, id) ? CONFIG.sites[id] : undefined;
}
