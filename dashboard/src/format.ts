// Numbers, dates and changes formatted for the browser's locale (Intl, `undefined` = the user's languages).

const nf = new Intl.NumberFormat(undefined);
const pf = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const unit = (u: string) => new Intl.NumberFormat(undefined, { style: 'unit', unit: u, unitDisplay: 'narrow', maximumFractionDigits: 0 });
const [hours, minutes, seconds] = [unit('hour'), unit('minute'), unit('second')];

export const num = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : nf.format(v));
/** The API's percentages are 0–100. */
export const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : pf.format(v / 100));

/** A visit duration in seconds as "1h 2m", "3m 4s" or "5s", each part in the locale's narrow unit. */
export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined) return '–';
  const t = Math.round(s);
  if (t >= 3600) return `${hours.format(Math.floor(t / 3600))} ${minutes.format(Math.floor((t % 3600) / 60))}`;
  if (t >= 60) return `${minutes.format(Math.floor(t / 60))} ${seconds.format(t % 60)}`;
  return seconds.format(t);
}

export function money(v: number | null | undefined, currency: string | undefined): string {
  if (v === null || v === undefined) return '–';
  if (!currency) return nf.format(v);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(v);
  } catch {
    return `${nf.format(v)} ${currency}`;
  }
}

export type Kind = 'count' | 'percent' | 'duration' | 'money';
export function format(kind: Kind, v: number | null | undefined, currency?: string): string {
  return kind === 'percent' ? pct(v) : kind === 'duration' ? duration(v) : kind === 'money' ? money(v, currency) : num(v);
}

export interface Change {
  /** up / down / flat, or `new` when the previous period had nothing to compare with */
  dir: 'up' | 'down' | 'flat' | 'new';
  /** what the page shows, e.g. "↑ 12%" or "↓ 3 pp" */
  text: string;
  /** the same in words, for screen readers and titles */
  words: string;
}

/**
 * The change from the previous period: relative for counts and durations; in percentage points for rates (a bounce rate
 * going from 40 % to 44 % is "+4 pp", not "+10 %"). The arrow and the words carry the meaning, the colour only repeats it.
 */
export function change(cur: number | null | undefined, prev: number | null | undefined, kind: Kind): Change {
  const c = cur ?? 0;
  const p = prev ?? 0;
  if (kind === 'percent') {
    const d = Math.round((c - p) * 10) / 10;
    if (d === 0) return { dir: 'flat', text: '= 0 pp', words: 'no change from the previous period' };
    const a = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(Math.abs(d));
    return d > 0
      ? { dir: 'up', text: `↑ ${a} pp`, words: `up ${a} percentage points from the previous period` }
      : { dir: 'down', text: `↓ ${a} pp`, words: `down ${a} percentage points from the previous period` };
  }
  if (p === 0) return c === 0 ? { dir: 'flat', text: '= 0%', words: 'no change from the previous period' } : { dir: 'new', text: 'new', words: 'nothing in the previous period' };
  const r = (c - p) / p;
  if (Math.abs(r) < 0.0005) return { dir: 'flat', text: '= 0%', words: 'no change from the previous period' };
  const a = pf.format(Math.abs(r));
  return r > 0 ? { dir: 'up', text: `↑ ${a}`, words: `up ${a} from the previous period` } : { dir: 'down', text: `↓ ${a}`, words: `down ${a} from the previous period` };
}

const regions = (() => {
  try {
    return new Intl.DisplayNames(undefined, { type: 'region' });
  } catch {
    return null;
  }
})();
/** "DE" → "Germany" in the user's language; unknown codes stay as they are. */
export function country(code: string): string {
  try {
    return (/^[A-Z]{2}$/.test(code) && regions?.of(code)) || code;
  } catch {
    return code;
  }
}

/**
 * A time bucket of the query API ("2026-11-12", "2026-11-12 14:00", "2026-11") as a short label. Buckets are already in the
 * site's time zone, so they are formatted as UTC (no second shift by the browser's zone).
 */
export function bucketLabel(key: string, interval: string): string {
  const [d, t] = key.split(' ');
  const parts = (d ?? '').split('-').map(Number);
  const at = Date.UTC(parts[0] ?? 1970, (parts[1] ?? 1) - 1, parts[2] ?? 1, t ? Number(t.slice(0, 2)) : 0);
  if (Number.isNaN(at)) return key;
  const opts: Intl.DateTimeFormatOptions =
    interval === 'hour' ? { hour: 'numeric', minute: '2-digit' } : interval === 'month' ? { month: 'short', year: 'numeric' } : { month: 'short', day: 'numeric' };
  return new Intl.DateTimeFormat(undefined, { ...opts, timeZone: 'UTC' }).format(at);
}

/** An inclusive range of days ("Nov 1 – 7, 2026"), in the user's locale. */
export function days([a, b]: [string, string]): string {
  const f = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
  const [x, y] = [Date.parse(`${a}T00:00:00Z`), Date.parse(`${b}T00:00:00Z`)];
  return a === b ? f.format(x) : f.formatRange(x, y);
}
