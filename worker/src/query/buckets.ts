/**
 * Time buckets in the site's time zone, as SQL over an epoch-ms expression: `time:hour` ("2026-11-10 14:00"), `time:day`
 * ("2026-11-10"), `time:week` (the Monday that starts the ISO week, "2026-11-09") and `time:month` ("2026-11-01"), as
 * Plausible labels weeks and months by their first day. `tzOff` is the zone's offset at the start of the range (ms).
 */
export function bucketSql(dim: string, ts: string, tzOff: number): string {
  const t = `(${ts} + ${tzOff}) / 1000, 'unixepoch'`;
  if (dim === 'time:hour') return `strftime('%Y-%m-%d %H:00', ${t})`;
  // 'weekday 1' moves forward to the next Monday (or stays on one): six days back first gives the Monday on or before.
  if (dim === 'time:week') return `date(${t}, '-6 days', 'weekday 1')`;
  if (dim === 'time:month') return `strftime('%Y-%m-01', ${t})`;
  return `strftime('%Y-%m-%d', ${t})`;
}

export type Period = 'day' | 'week' | 'month';
const DAY = 86_400_000;

/**
 * A time dimension's bucket as an integer (hours, or the period index below; a month as 'YYYY-MM'): equal exactly when
 * `bucketSql` labels are.
 * Grouping by it sorts integers instead of formatting a label per row; the label is then formatted once per bucket.
 */
export const bucketIndexSql = (dim: string, ts: string, tzOff: number): string =>
  dim === 'time:hour'
    ? `((${ts} + ${tzOff}) / 3600000)`
    : // a month as its 'YYYY-MM' text: one date function a row instead of two
      dim === 'time:month'
      ? `strftime('%Y-%m', (${ts} + ${tzOff}) / 1000, 'unixepoch')`
      : periodIndexSql(dim === 'time:week' ? 'week' : 'day', ts, tzOff);

/**
 * A period's ordinal as SQL (consecutive periods differ by 1): local days since 1970-01-01, Monday-based weeks (day 0 was a
 * Thursday, so the week index is floor((day + 3) / 7)), or months since year 0.
 */
export function periodIndexSql(period: Period, ts: string, tzOff: number): string {
  const day = `((${ts} + ${tzOff}) / ${DAY})`;
  if (period === 'day') return day;
  if (period === 'week') return `((${day} + 3) / 7)`;
  const t = `(${ts} + ${tzOff}) / 1000, 'unixepoch'`;
  return `(CAST(strftime('%Y', ${t}) AS INTEGER) * 12 + CAST(strftime('%m', ${t}) AS INTEGER) - 1)`;
}

/** The first day (YYYY-MM-DD) of period number `index` (the inverse of `periodIndexSql`). */
export function periodStart(period: Period, index: number): string {
  if (period === 'day') return new Date(index * DAY).toISOString().slice(0, 10);
  if (period === 'week') return new Date((index * 7 - 3) * DAY).toISOString().slice(0, 10);
  return new Date(Date.UTC(Math.floor(index / 12), index % 12, 1)).toISOString().slice(0, 10);
}

/** Period number of epoch-ms `ts` in the zone of offset `tzOff` (as `periodIndexSql` computes it). */
export function periodIndex(period: Period, ts: number, tzOff: number): number {
  const day = Math.floor((ts + tzOff) / DAY);
  if (period === 'day') return day;
  if (period === 'week') return Math.floor((day + 3) / 7);
  const d = new Date(day * DAY);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}
