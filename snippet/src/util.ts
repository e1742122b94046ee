/** Small helpers. Nothing here may throw into the host page: `safe` wraps every entry point. */
export const W = window;
export const D = document;
export const now = (): number => Date.now();

/** Runs `fn`, swallowing (and reporting in debug builds) any error of ours. */
export function safe<A extends unknown[], R>(fn: (...a: A) => R): (...a: A) => R | undefined {
  return (...a: A) => {
    try {
      return fn(...a);
    } catch (e) {
      if (DEBUG) console.warn('[tp]', e);
      return undefined;
    }
  };
}

const hex = (b: Uint8Array) => Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');

/** UUID v4 from getRandomValues (randomUUID needs a secure context). */
export function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 15) | 64;
  b[8] = (b[8]! & 63) | 128;
  return hex(b).replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}

/** 256 random bits, hex: the browser secret for self-service. */
export const secret = (): string => hex(crypto.getRandomValues(new Uint8Array(32)));

/** localStorage, JSON, never throwing (private mode, quota, disabled storage: the session goes on without persistence). A missing key parses as null. */
export const load = <T>(key: string): T | null => safe(() => JSON.parse(localStorage.getItem(key)!) as T | null)() ?? null;
export const save = (key: string, value: unknown): void => void safe(() => localStorage.setItem(key, JSON.stringify(value)))();
export const drop = (key: string): void => void safe(() => localStorage.removeItem(key))();

/** A CORS-simple POST (text/plain, no credentials) that survives the page going away. */
export const post = (url: string, body: unknown, keepalive = true): Promise<Response> =>
  fetch(url, { method: 'POST', body: typeof body == 'string' ? body : JSON.stringify(body), keepalive, credentials: 'omit' });

export const on = (t: EventTarget, type: string, fn: (e: any) => void, opts: AddEventListenerOptions | boolean = true): void =>
  t.addEventListener(type, safe(fn), opts);

/**
 * A URL as it may leave the browser: query parameters are dropped (a GET form or a reset link puts
 * what visitors typed there) except campaign ones — utm_* and the click ids the collector keeps (its CLICK_IDS: gclid,
 * fbclid, msclkid, li_fat_id, epik, …; clean-url.test.ts holds the two to the same list);
 * so are credentials (`user:pw@`) and the fragment (`#access_token=…`), except, with `route` (hash
 * routing), its route: what comes before a `?`, `&`, `=` or `;` (`#/cart`). The collector applies the
 * same rule to what it stores.
 */
export function cleanUrl(href: string, route?: boolean): string {
  const u = new URL(href);
  for (const k of [...u.searchParams.keys()]) if (!/^utm_|(clk?|_fat_|rdt_c|scc)id$|braid$|^epik$/.test(k)) u.searchParams.delete(k);
  u.username = u.password = '';
  u.hash = route ? u.hash.replace(/[?&=;].*/, '') : '';
  return u.href;
}

/** Clips text to n characters, collapsing white space. */
export const clip = (s: string | null | undefined, n = 80): string => (s ?? '').replace(/\s+/g, ' ').trim().slice(0, n);
