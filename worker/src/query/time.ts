/**
 * The dates a range may name. Every instant between them, moved by any time zone, the day after the end or the longest
 * funnel window (9999 days), stays a 4-digit-year date for `Date#toISOString` (which overflows at year 275760 and writes
 * "+010000-…" from year 10000 on), for SQLite's date functions (years 0000–9999) and for `YYYY-MM-DD` labels. Before
 * 2000 there is nothing to count.
 */
export const DATE_BOUNDS = ['2000-01-01', '2999-12-31'] as const;

/** Why `date` is not a calendar day (`YYYY-MM-DD`) within `DATE_BOUNDS`, or null when it is. */
export function dateProblem(date: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return 'dates are YYYY-MM-DD';
  if (date < DATE_BOUNDS[0] || date > DATE_BOUNDS[1]) return `dates are between ${DATE_BOUNDS[0]} and ${DATE_BOUNDS[1]}`;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.UTC rolls 2026-02-30 over to March 2nd: a real day is one that survives the round trip.
  if (new Date(Date.UTC(y, mo - 1, d)).toISOString().slice(0, 10) !== date) return `${date} is not a calendar date`;
  return null;
}

/** Offset of `tz` from UTC at instant `ms`, in ms (e.g. +3_600_000 for Europe/Berlin in winter). */
export function tzOffset(tz: string, ms: number): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of local midnight starting `date` (YYYY-MM-DD) in `tz`. */
export function localMidnight(date: string, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  // Two passes settle DST edges.
  let t = guess - tzOffset(tz, guess);
  t = guess - tzOffset(tz, t);
  return t;
}

const ymd = (ms: number, tz: string) => new Date(ms + tzOffset(tz, ms)).toISOString().slice(0, 10);
/** `date` (YYYY-MM-DD) moved by `n` calendar days. */
export const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * A date range as [from, to) epoch ms in the site's time zone. `day`: today; `7d` / `30d`: the last
 * 7 / 30 days including today; `month`: this calendar month so far; `12mo`: the last 12 calendar months
 * including this one; `all`: everything; `realtime`: the last 5 minutes; or an inclusive pair of dates.
 */
export function resolveRange(range: string | [string, string], tz: string, now: number): { from: number; to: number; label: [string, string]; offset: number } {
  const r = bounds(range, tz, now);
  // The zone's offset at the start of the range (clamped to now): local days and hours in SQL; a DST change inside the range is not followed.
  return { ...r, offset: tzOffset(tz, Math.min(Math.max(r.from, 0), now)) };
}

/** How far back `realtime` looks, and how far ahead: ingest takes timestamps up to 5 minutes ahead (a fast client clock). */
export const REALTIME_MS = 5 * 60_000;

function bounds(range: string | [string, string], tz: string, now: number): { from: number; to: number; label: [string, string] } {
  if (range === 'realtime') return { from: now - REALTIME_MS, to: now + REALTIME_MS, label: [ymd(now - REALTIME_MS, tz), ymd(now, tz)] };
  const today = ymd(now, tz);
  const tomorrow = addDays(today, 1);
  let start: string;
  let end = tomorrow;
  if (Array.isArray(range)) {
    [start, end] = [range[0], addDays(range[1], 1)];
  } else if (range === 'day') start = today;
  else if (range === '7d') start = addDays(today, -6);
  else if (range === '30d') start = addDays(today, -29);
  else if (range === 'month') start = `${today.slice(0, 7)}-01`;
  else if (range === '12mo') {
    const [y, m] = today.split('-').map(Number) as [number, number];
    const first = new Date(Date.UTC(y, m - 12, 1)).toISOString().slice(0, 10);
    start = first;
  } else return { from: 0, to: Number.MAX_SAFE_INTEGER, label: ['all', 'all'] };
  return { from: localMidnight(start, tz), to: localMidnight(end, tz), label: [start, addDays(end, -1)] };
}
