/**
 * What API keys and write keys share: a per-isolate cache of D1 lookups by key hash (revocation takes effect within
 * `CACHE_MS`), and a fixed one-minute request window per key. Both are bounded (cleared past 1,000 entries) so an
 * attacker spraying random keys can't grow them.
 */
const CACHE_MS = 60_000;
const MAX_ENTRIES = 1000;

/**
 * A lookup by key hash cached for a minute, misses included (an unknown key costs one D1 read a minute, not one a request).
 * @example const find = cachedLookup((db, hash) => db.prepare('SELECT … WHERE key_hash = ?1').bind(hash).first())
 */
export function cachedLookup<T>(read: (db: D1Database, hash: string) => Promise<T | null>) {
  const cache = new Map<string, { value: T | null; at: number }>();
  return async function lookup(db: D1Database, hash: string, now: number): Promise<T | null> {
    const hit = cache.get(hash);
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    const value = await read(db, hash);
    if (cache.size > MAX_ENTRIES) cache.clear();
    cache.set(hash, { value, at: now });
    return value;
  };
}

/**
 * A fixed one-minute window of requests per key. Returns null while under `max`, else the seconds until the window
 * resets (for `Retry-After`).
 */
export function minuteWindow() {
  const windows = new Map<string, { start: number; n: number }>();
  return function over(hash: string, now: number, max: number): number | null {
    const w = windows.get(hash);
    if (!w || now - w.start >= 60_000) {
      if (windows.size > MAX_ENTRIES) windows.clear();
      windows.set(hash, { start: now, n: 1 });
      return null;
    }
    return ++w.n > max ? (w.start + 60_000 - now) / 1000 : null;
  };
}
