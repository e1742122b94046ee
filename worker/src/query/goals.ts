import { getSite } from '../config/sites';
import type { Goal } from '../config/journey';
import { apiError } from '../http/errors';
import { hasProps } from './funnel';
import type { Query } from './schema';

/**
 * Goals (site config `goals`, CONTRACT.md §5) as the events that complete them. A goal is an event name, optionally with
 * props the event must carry (equal values; `true` equals 1, as json_extract has it), or a page pattern matched against
 * page views' stored paths, where `*` stands for any characters (`/thanks*`, `/app/products/*`) and everything else is
 * literal. Goals apply to every event in the raw-event window, whenever they were added (nothing is precomputed).
 */
export interface GoalMatch {
  id: string;
  stage: string;
  /** event name (`pageview` for a page goal) */
  n: string;
  /** [lo, hi): the path range the `events_site_name` index seeks (a page pattern's literal prefix) */
  lo: string;
  hi: string;
  /** GLOB pattern for page goals (`?` and `[` made literal; `*` stays the wildcard) */
  glob: string | null;
  p: Record<string, string | number | boolean> | null;
}

/** Sorts after every stored path: paths are percent-encoded ASCII (enrich/url.ts). */
const TOP = String.fromCodePoint(0x10ffff);

export function compileGoal(g: Goal): GoalMatch {
  if (g.page === undefined) return { id: g.id, stage: g.stage, n: g.event!, lo: '', hi: TOP, glob: null, p: g.props ?? null };
  const star = g.page.indexOf('*');
  const prefix = star < 0 ? g.page : g.page.slice(0, star);
  return { id: g.id, stage: g.stage, n: 'pageview', lo: prefix, hi: prefix + TOP, glob: g.page.replace(/[?[]/g, (c) => `[${c}]`), p: null };
}

/** The site's goals, compiled. */
export const siteGoals = (siteId: string): GoalMatch[] => (getSite(siteId)?.goals ?? []).map(compileGoal);

/**
 * FROM-clause source of the events in the range [?2, ?3) of site ?1 that complete one of `goals`: one row per (event,
 * goal), event alias `e`, goal alias `g` (`g.id`, `g.stage`, and `g.gi`: the goal's index in `goals`). Each goal is one seek of `events_site_name` (name, then the
 * path range of a page pattern), so page goals never scan every page view; only goals with props read the event's row.
 */
export function goalEvents(goals: GoalMatch[], p: (v: unknown) => string, range = 'e.ts >= ?2 AND e.ts < ?3'): string {
  const field = (k: string) => `json_extract(value, '$.${k}') AS ${k}`;
  return `(SELECT key AS gi, ${['id', 'stage', 'n', 'lo', 'hi', 'glob', 'p'].map(field).join(', ')} FROM json_each(${p(JSON.stringify(goals))})) g
  CROSS JOIN events e INDEXED BY events_site_name ON e.site_id = ?1 AND e.name = g.n AND e.path >= g.lo AND e.path < g.hi AND ${range}
    AND (g.glob IS NULL OR e.path GLOB g.glob) AND (g.p IS NULL OR (SELECT ${hasProps('r.props', 'g.p')} FROM events r WHERE r.seq = e.seq))`;
}

type Filter = Query['filters'][number];

/**
 * The goals a stats query reads: those its `is event:goal` filters name (every one must be a goal of the site: a 400
 * names the value otherwise), else all of the site's goals.
 */
export function queryGoals(q: Pick<Query, 'site_id' | 'filters'>): GoalMatch[] {
  const all = siteGoals(q.site_id);
  let goals = all;
  for (const [i, [op, dim, values]] of (q.filters as Filter[]).entries()) {
    if (dim !== 'event:goal' || op !== 'is') continue;
    values.forEach((v, j) => {
      if (!all.some((g) => g.id === v)) {
        const known = all.map((g) => g.id).join(', ') || 'none configured';
        throw apiError(400, 'invalid_field', `unknown goal "${v}"; goals of this site: ${known}`, `filters.${i}.2.${j}`);
      }
    });
    goals = goals.filter((g) => values.includes(g.id));
  }
  return goals;
}
