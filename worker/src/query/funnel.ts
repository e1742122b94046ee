import type { Funnel } from './schema';
import { eventVisitor } from '../storage/visits';
import { hotWindowWarning } from './hot-window';
import { resolveRange } from './time';

const UNIT = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const windowMs = (w: string): number => Number(w.slice(0, -1)) * UNIT[w.slice(-1) as keyof typeof UNIT];

/**
 * The event's props hold every wanted key with an equal value (true equals 1, as json_extract has it). The wanted props
 * are one JSON parameter — D1 binds at most 100 a statement — and keys are compared as keys, never spliced into a
 * JSON path, so a key with quotes or dots is just a key.
 */
export const hasProps = (props: string, wanted: string) =>
  `NOT EXISTS (SELECT 1 FROM json_each(${wanted}) w WHERE NOT EXISTS (SELECT 1 FROM json_each(${props}) x WHERE x.key = w.key AND x.value = w.value))`;

/**
 * Counts, for each step, the stitched visitors (user id when linked, else anonymous id, else the
 * cookieless hash) who did steps 1…k in order, with step k no later than `window` after step 1.
 * Every occurrence of step 1 is tried as a start; from a start, the earliest next step is taken
 * (which leaves the most room for the rest), so the count is exact, not greedy over starts.
 */
export async function runFunnel(db: D1Database, f: Funnel, tz: string, now: number, hotFrom?: number) {
  const range = resolveRange(f.date_range, tz, now);
  const win = windowMs(f.window);
  // Funnels read raw events: D1 has them from the hot window on (storage/hot-window.ts); earlier starts are not counted, and the answer says so.
  const clamped = hotFrom !== undefined && range.from < hotFrom;
  const from = clamped ? Math.min(hotFrom, range.to) : range.from;
  const params: unknown[] = [f.site_id, from, range.to + win];
  const p = (v: unknown) => `?${params.push(v)}`;
  const conds = f.steps.map((s) => {
    const c = [`name = ${p(s.event)}`];
    if (s.page) c.push(`path = ${p(s.page)}`);
    if (s.props && Object.keys(s.props).length) c.push(hasProps('e.props', p(JSON.stringify(s.props))));
    return `(${c.join(' AND ')})`;
  });
  // One indexed read per step (events_site_name seeks by name and page), stitched to the visitor, each its own CTE:
  // a UNION ALL of the steps would be a compound SELECT, and D1 refuses more than 5 terms in one.
  const match = conds.map(
    (c, i) => `m${i + 1} AS MATERIALIZED (SELECT ${eventVisitor('e', 'l')} AS visitor, e.ts
      FROM events e LEFT JOIN identity_links l ON l.site_id = e.site_id AND l.anon_id = e.anon_id
      WHERE e.site_id = ?1 AND e.ts >= ?2 AND e.ts < ?3 AND e.bot = 0 AND ${c})`,
  );
  // Each CTE is materialized: s(k) is read by s(k+1) and by its count.
  const chain = f.steps.slice(1).map(
    (_, i) => `s${i + 2} AS MATERIALIZED (SELECT s${i + 1}.visitor, s${i + 1}.t1, min(m.ts) AS t FROM s${i + 1} JOIN m${i + 2} m ON m.visitor = s${i + 1}.visitor
      AND m.ts >= s${i + 1}.t AND m.ts <= s${i + 1}.t1 + ${win} GROUP BY s${i + 1}.visitor, s${i + 1}.t1)`,
  );
  const sql = `
WITH ${match.join(',\n')},
s1 AS MATERIALIZED (SELECT visitor, ts AS t1, ts AS t FROM m1 WHERE ts < ${p(range.to)}),
${chain.join(',\n')}
SELECT ${f.steps.map((_, i) => `(SELECT count(DISTINCT visitor) FROM s${i + 1}) AS c${i + 1}`).join(', ')}`;
  const row = (await db.prepare(sql).bind(...params).first<Record<string, number>>()) ?? {};
  const counts = f.steps.map((_, i) => row[`c${i + 1}`] ?? 0);
  const pct = (a: number, b: number) => (b ? Math.round((10_000 * a) / b) / 100 : 0);
  return {
    steps: f.steps.map((s, i) => ({
      step: i + 1,
      ...s,
      visitors: counts[i],
      conversion_rate: pct(counts[i]!, counts[0]!),
      step_conversion_rate: i === 0 ? 100 : pct(counts[i]!, counts[i - 1]!),
      dropoff: i === 0 ? 0 : counts[i - 1]! - counts[i]!,
    })),
    meta: { date_range: range.label, time_zone: tz, window: f.window, ...(clamped ? { warnings: [hotWindowWarning(hotFrom)] } : {}) },
  };
}
