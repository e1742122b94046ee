import type { Context } from 'hono';
import type { SiteConfig } from '../config/schema';
import { secret } from '../config/secrets';
import { getSite } from '../config/sites';
import { digestsEqual, sha256Hex } from '../crypto/hmac';
import type { AppEnv } from '../env';
import { apiError, rateLimited } from '../http/errors';
import { cachedLookup, minuteWindow } from './key-cache';

/**
 * Write keys for the Segment-compatible API (`/segment/v1/*`, migration 0009). A write key names one site — Segment's
 * calls carry no site id, the key is the site — and can only write: the read API (`/api/v1/*`) knows only API keys, and
 * this module knows only write keys, so neither kind opens the other's door.
 *
 * Two kinds: `server` keys belong to a site's back end and are the proof that lets a call link an anonymous id to a user
 * (as the identity token does for `tp.identify`); `browser` keys are for analytics.js, whose key every visitor can read
 * in the page, so they write events only (no links, no traits, no user ids) and only from the site's origins.
 */
export type WriteKeyKind = 'server' | 'browser';
export interface WriteKey {
  site: SiteConfig;
  kind: WriteKeyKind;
}

/** Requests per key and minute (TP_WRITE_KEY_RATE_PER_MINUTE overrides), per isolate; a 500-event batch is one request. */
export const WRITE_KEY_RATE_PER_MINUTE = 6000;
const MAX_KEY = 256;

interface Row {
  site_id: string;
  kind: WriteKeyKind;
  revoked: boolean;
}
/** By SHA-256, cached a minute per isolate (revocation takes effect within one), like API keys. */
const lookup = cachedLookup(async (db, hash): Promise<Row | null> => {
  const r = await db.prepare('SELECT site_id, kind, revoked_at FROM write_keys WHERE key_hash = ?1').bind(hash).first<{ site_id: string; kind: string; revoked_at: number | null }>();
  return r ? { site_id: r.site_id, kind: r.kind === 'browser' ? 'browser' : 'server', revoked: r.revoked_at !== null } : null;
});
const window = minuteWindow();

let devHash: Promise<string> | null = null;
/**
 * `dev-write-key` (TP_DEMO_WRITE_KEY) for the demo site. Called only under `__TP_DEV__` (npm start, the tests), so a
 * deployable build (the flag `false`) drops this function, and the binding's name, altogether.
 */
async function devKey(env: AppEnv['Bindings'], hash: string): Promise<Row | null> {
  const dev = secret(env, 'TP_DEMO_WRITE_KEY');
  if (!dev) return null;
  devHash ??= sha256Hex(dev);
  return digestsEqual(hash, await devHash) ? { site_id: 'demo', kind: 'server', revoked: false } : null;
}

/**
 * 429 with `Retry-After` (analytics-node waits that long) and `X-RateLimit-Reset` (analytics.js reads that one), both
 * in seconds.
 */
function limit(hash: string, now: number, max: number): void {
  const over = window(hash, now, max);
  if (over === null) return;
  const wait = String(Math.max(1, Math.ceil(over)));
  throw rateLimited(`at most ${max} requests a minute per write key; retry in ${wait} s`, 'authorization', over, { 'X-RateLimit-Reset': wait });
}

/**
 * The write key of a request: the user name of HTTP Basic auth (Segment's way: `base64("<key>:")`, the password empty;
 * a value without the colon is taken whole, as Segment still accepts it), else `writeKey` in the body. Undefined when
 * neither is there; a malformed Authorization header is a 401 at once.
 */
export function writeKeyOf(c: Context<AppEnv>, body?: unknown): string | undefined {
  const header = c.req.header('authorization');
  let fromHeader: string | undefined;
  if (header) {
    const m = /^Basic\s+([A-Za-z0-9+/=_-]{1,512})$/i.exec(header.trim());
    let decoded = '';
    try {
      decoded = m ? atob(m[1]!.replace(/-/g, '+').replace(/_/g, '/')) : '';
    } catch {
      decoded = '';
    }
    fromHeader = decoded.split(':', 1)[0];
    if (!fromHeader) throw apiError(401, 'unauthorized', 'send Authorization: Basic base64("<write key>:") or writeKey in the body', 'authorization');
  }
  const inBody = (body as { writeKey?: unknown } | null)?.writeKey;
  if (inBody !== undefined && typeof inBody !== 'string') throw apiError(401, 'unauthorized', 'writeKey must be a string', 'writeKey');
  // Two different keys in one request: which site was meant is unknowable, so neither is taken.
  if (fromHeader && inBody && inBody !== fromHeader) throw apiError(401, 'unauthorized', 'the Authorization header and writeKey name different keys', 'writeKey');
  return fromHeader ?? (inBody || undefined);
}

/**
 * Authorizes a write: 401 without a key or with an unknown or revoked one (API keys included: they can't write),
 * 403 when the key's site is no longer configured, 429 over the per-key rate. The dev key is not throttled, as the admin
 * key isn't. Create keys with `npm run key -- create --site <id> --name <label> --write [--browser]`.
 */
export async function authorizeWrite(c: Context<AppEnv>, key: string | undefined): Promise<WriteKey> {
  if (!key) throw apiError(401, 'unauthorized', 'send Authorization: Basic base64("<write key>:") or writeKey in the body', 'authorization');
  if (key.length > MAX_KEY) throw apiError(401, 'unauthorized', 'unknown or revoked write key', 'authorization');
  const now = Date.now();
  const hash = await sha256Hex(key);
  const dev = __TP_DEV__ ? await devKey(c.env, hash) : null;
  const row = dev ?? (await lookup(c.env.DB, hash, now));
  if (!row || row.revoked) {
    throw apiError(401, 'unauthorized', 'unknown or revoked write key (API keys can only read: create one with npm run key -- create --site <id> --write)', 'authorization');
  }
  if (!dev) limit(hash, now, Number(c.env.TP_WRITE_KEY_RATE_PER_MINUTE) || WRITE_KEY_RATE_PER_MINUTE);
  const site = getSite(row.site_id);
  if (!site) throw apiError(403, 'forbidden', `this write key's site "${row.site_id}" is no longer configured`, 'authorization');
  return { site, kind: row.kind };
}
