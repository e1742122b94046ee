import type { Env } from '../env';
import type { SiteConfig } from './schema';

/** Defaults that only apply when TP_ENV is "development" (wrangler dev, tests). */
const DEV_DEFAULTS: Record<string, string> = {
  TP_ADMIN_KEY: 'dev-admin-key',
  TP_CONSENT_KEY: 'dev-consent-key-change-me-in-production',
  TP_DEMO_IDENTITY_SECRET: 'dev-identity-secret',
};

export const isDev = (env: Env): boolean => env.TP_ENV === 'development';

/** Reads a secret by name; in development falls back to the documented local default. */
export function secret(env: Env, name: string): string | undefined {
  const value = (env as unknown as Record<string, unknown>)[name];
  if (typeof value === 'string' && value.length > 0) return value;
  return isDev(env) ? DEV_DEFAULTS[name] : undefined;
}

/** Like `secret`, but a missing value is a configuration error that names the secret. */
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

/** Allowed origins: the site's list, plus any local origin in development (CONTRACT §4). */
export function originAllowed(env: Env, site: SiteConfig, origin: string): boolean {
  if (site.origins.includes(origin)) return true;
  return isDev(env) && /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/.test(origin);
}
