import type { Env } from '../env';
import type { SiteConfig } from './schema';

// No development defaults here: `npm start` and the tests pass the local secrets in as bindings
// (scripts/dev-defaults.mjs), so a deployed Worker without a secret fails closed, naming it.

/** Reads a secret (or variable) by name; `undefined` when it is not set. */
export function secret(env: Env, name: string): string | undefined {
  const value = (env as unknown as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Like `secret`, but a missing value is a configuration error that names the secret (fail closed). */
export function requireSecret(env: Env, name: string): string {
  const value = secret(env, name);
  if (!value) throw new ConfigError(`missing secret ${name}: set it with \`wrangler secret put ${name}\``);
  return value;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const identitySecret = (env: Env, site: SiteConfig): string | undefined =>
  site.identity_secret_env ? secret(env, site.identity_secret_env) : undefined;

/**
 * Allowed origins: the site's list, plus any local origin in local development (CONTRACT §4). `__TP_DEV__` is a
 * build-time constant, `false` in every bundle built from wrangler.toml: deployed code has no such branch.
 */
export function originAllowed(_env: Env, site: SiteConfig, origin: string): boolean {
  if (site.origins.includes(origin)) return true;
  return __TP_DEV__ && /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/.test(origin);
}
