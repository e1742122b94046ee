import { PATH, type Props } from '../../../shared/wire';
import type { Anon } from '../identity';
import type { Settings } from '../settings';
import { post } from '../util';

/** What tp.js hands `tp.identify` (which lives in tp-panel.js, loaded on first use). */
export interface IdentifyHost extends Settings {
  analytics(): boolean;
  user(): string | null;
  setUser(id: string): void;
  /** a new anonymous id, its secret registered (another user on this device, or the old id was erased) */
  fresh(): Anon;
  ensureAnon(): Anon;
  token(): Promise<string | undefined>;
}

export type Identify = (host: IdentifyHost, userId: unknown, o?: { token?: string; traits?: Props }) => Promise<{ ok: boolean; reason?: string }>;

/**
 * `tp.identify(userId, {token, traits})`: links this browser's anonymous id to the user, proven by the
 * browser secret. The user id is remembered only once the collector linked it.
 */
export const identify: Identify = async (host, userId, o = {}) => {
  const result = (reason?: string) => ({ ok: !reason, reason });
  if (!host.analytics()) return result('no_consent');
  if (typeof userId != 'string' || !userId) return result('invalid_user_id');
  const current = host.user();
  if (current == userId) return result();
  try {
    const t = await host.token();
    // The browser secret proves this browser holds the anonymous id it names.
    const go = (anon: Anon) => post(host.api + PATH.identify, { s: host.site, u: userId, ...o, ...anon, t });
    // Another user on this device: never merge into their anonymous history.
    let r = await go(current ? host.fresh() : host.ensureAnon());
    // 410: this anonymous id was erased; carry on under a new one.
    if (r.status == 410) r = await go(host.fresh());
    // Remembered only once the collector linked it: a refused identify leaves no user behind.
    if (r.ok) host.setUser(userId);
    return result(r.ok ? undefined : ((await r.json().catch(() => 0)) as any)?.error?.code ?? 'http_' + r.status);
  } catch {
    return result('network');
  }
};
