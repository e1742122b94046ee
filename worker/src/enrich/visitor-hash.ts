import { sha256Hex, toHex } from '../crypto/hmac';

/**
 * Unique visitors without identifiers: hash(daily salt, site, IP, User-Agent). The salt is random,
 * kept only in D1 (table `salts`), replaced every UTC day, and old salts are deleted by the cron job,
 * so yesterday's hashes can't be recomputed or linked to today's. The raw IP is never stored or queued.
 */
let cached: { salt: string; from: number; until: number } | null = null;
const DAY_MS = 86_400_000;

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Today's salt: read once per isolate per day (not per request), created on first use. */
export async function dailySalt(db: D1Database, now: number): Promise<string> {
  if (cached && now >= cached.from && now < cached.until) return cached.salt;
  const day = utcDay(now);
  const fresh = toHex(crypto.getRandomValues(new Uint8Array(32)));
  await db.prepare('INSERT OR IGNORE INTO salts (day, salt) VALUES (?1, ?2)').bind(day, fresh).run();
  const row = await db.prepare('SELECT salt FROM salts WHERE day = ?1').bind(day).first<{ salt: string }>();
  const salt = row?.salt ?? fresh;
  const from = now - (now % DAY_MS);
  cached = { salt, from, until: from + DAY_MS };
  return salt;
}

export async function visitorHash(salt: string, site: string, ip: string, ua: string): Promise<string> {
  return (await sha256Hex(`${salt}\n${site}\n${ip}\n${ua}`)).slice(0, 32);
}

/** Deletes every salt but today's. Called from the scheduled handler. */
export async function deleteOldSalts(db: D1Database, now: number): Promise<number> {
  const res = await db.prepare('DELETE FROM salts WHERE day < ?1').bind(utcDay(now)).run();
  return res.meta.changes ?? 0;
}

/** For tests: forget the isolate's cached salt. */
export const forgetSalt = (): void => {
  cached = null;
};
