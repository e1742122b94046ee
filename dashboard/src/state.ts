// What the dashboard shows, held in the URL (site, range, filters, funnel steps, chart metric), so that a link or a reload
// restores it. Dates are calendar days in the site's time zone, as the query API reads them.

export type Op = 'is' | 'is_not' | 'contains';
export type Filter = [Op, string, string[]];
export interface Step {
  event: string;
  page?: string;
}
export const RANGES = ['day', '7d', '30d', 'month', '12mo', 'custom'] as const;
export type RangeName = (typeof RANGES)[number];
export type DateRange = Exclude<RangeName, 'custom'> | [string, string];

export interface State {
  site: string;
  range: RangeName;
  /** custom range, inclusive YYYY-MM-DD */
  from?: string;
  to?: string;
  filters: Filter[];
  funnel: Step[];
  metric: string;
}

const OPS: readonly string[] = ['is', 'is_not', 'contains'];
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Reads the state from the URL; anything malformed is dropped, never thrown. */
export function readUrl(search = location.search): State {
  const q = new URLSearchParams(search);
  const range = (RANGES as readonly string[]).includes(q.get('range') ?? '') ? (q.get('range') as RangeName) : '30d';
  const from = q.get('from') ?? '';
  const to = q.get('to') ?? '';
  // f=is,visit:country,DE — the value is everything after the second comma, so it may hold commas itself.
  const filters: Filter[] = q.getAll('f').flatMap((f) => {
    const m = /^([a-z_]+),([a-z_]+:[a-z_]+),(.*)$/s.exec(f);
    return m && OPS.includes(m[1]!) ? [[m[1] as Op, m[2]!, [m[3]!]] as Filter] : [];
  });
  let funnel: Step[] = [];
  try {
    const parsed: unknown = JSON.parse(q.get('funnel') ?? '[]');
    if (Array.isArray(parsed)) {
      funnel = parsed
        .filter((s): s is Step => !!s && typeof s.event === 'string' && (s.page === undefined || typeof s.page === 'string'))
        .map((s) => (s.page ? { event: s.event, page: s.page } : { event: s.event }));
    }
  } catch {
    // a hand-edited link: no funnel rather than no dashboard
  }
  return {
    site: q.get('site') ?? '',
    range: range === 'custom' && !(DAY_RE.test(from) && DAY_RE.test(to) && from <= to) ? '30d' : range,
    ...(range === 'custom' && { from, to }),
    filters,
    funnel,
    metric: q.get('metric') ?? 'visitors',
  };
}

export function toUrl(s: State, path = location.pathname): string {
  const q = new URLSearchParams();
  q.set('site', s.site);
  q.set('range', s.range);
  if (s.range === 'custom' && s.from && s.to) {
    q.set('from', s.from);
    q.set('to', s.to);
  }
  for (const [op, dim, [v]] of s.filters) q.append('f', `${op},${dim},${v}`);
  if (s.funnel.length) q.set('funnel', JSON.stringify(s.funnel));
  if (s.metric !== 'visitors') q.set('metric', s.metric);
  return `${path}?${q}`;
}

/** The range as the API takes it: a named range keeps its name, so every figure is the API's answer to the same question. */
export const apiRange = (s: State): DateRange => (s.range === 'custom' ? [s.from!, s.to!] : s.range);

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
const monthStart = (d: string, back: number) => {
  const [y, m] = d.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 - back, 1)).toISOString().slice(0, 10);
};

/** Today in the site's time zone (what the API calls today). */
export function today(tz: string, now = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** The inclusive days a range covers, resolved as worker/src/query/time.ts resolves them. */
export function rangeDays(s: State, tz: string, now = Date.now()): [string, string] {
  const t = today(tz, now);
  switch (s.range) {
    case 'day': return [t, t];
    case '7d': return [addDays(t, -6), t];
    case '30d': return [addDays(t, -29), t];
    case 'month': return [monthStart(t, 0), t];
    case '12mo': return [monthStart(t, 11), t];
    default: return [s.from!, s.to!];
  }
}

/**
 * The period before: as many days, ending the day before the range starts — yesterday for today, the 30 days before the
 * last 30. The journey API counts its `previous` the same way (CONTRACT §5), so every "before" on the page is one period.
 */
export function previousDays(s: State, tz: string, now = Date.now()): [string, string] {
  const [from, to] = rangeDays(s, tz, now);
  const n = daysBetween(from, to) + 1;
  return [addDays(from, -n), addDays(from, -1)];
}

export type Interval = 'hour' | 'day' | 'week' | 'month';

/** The chart's bucket size: hours for a day or two, days up to a month, weeks up to three months, months beyond. */
export function interval(days: [string, string]): Interval {
  const n = daysBetween(days[0], days[1]) + 1;
  return n <= 2 ? 'hour' : n <= 31 ? 'day' : n <= 92 ? 'week' : 'month';
}

/** Monday of the ISO week of `d` (what the API's time:week names a week by). */
const monday = (d: string) => addDays(d, -((new Date(`${d}T00:00:00Z`).getUTCDay() + 6) % 7));

/**
 * Every bucket key of a range, in order (the API answers only non-empty buckets; the chart shows the empty ones as 0).
 * Months are keyed "YYYY-MM" (matched on the first 7 characters of the API's "YYYY-MM-01").
 */
export function buckets(days: [string, string], every: Interval): string[] {
  const out: string[] = [];
  if (every === 'month') {
    for (let m = days[0].slice(0, 7); m <= days[1].slice(0, 7); m = monthStart(`${m}-01`, -1).slice(0, 7)) out.push(m);
    return out;
  }
  if (every === 'week') {
    for (let d = monday(days[0]); d <= days[1]; d = addDays(d, 7)) out.push(d);
    return out;
  }
  for (let d = days[0]; d <= days[1]; d = addDays(d, 1)) {
    if (every === 'day') out.push(d);
    else for (let hh = 0; hh < 24; hh++) out.push(`${d} ${String(hh).padStart(2, '0')}:00`);
  }
  return out;
}
