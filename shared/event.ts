/**
 * The event validator: one wire event (see `WireEvent` in `wire.ts`) checked field by field with the
 * rules in `rules.ts`. Hand-written rather than a zod object because it runs for every event on the
 * ingest path, where zod's per-check machinery was a fifth of the Worker's CPU (see
 * docs/ARCHITECTURE.md, "Ingest cost"). Worker-side only.
 */
import { LIMITS } from './limits';
import { revenueProblem } from './money';
import { CATEGORY_MESSAGE, CATEGORY_PATTERN, checkProps, httpUrl, ID_MESSAGE, ID_PATTERN, labelProblem, textProblem, timeProblem, URL_MESSAGE } from './rules';
import type { FieldError } from './schema';
import { EVENT, type WireEvent, type WireRevenue } from './wire';

const BUILTIN_EVENTS = new Set<string>(Object.values(EVENT));

/** A valid event: a fresh object with only the wire keys (props a null-prototype copy), and its page URL parsed once. */
export type EventResult = { ok: true; event: WireEvent; url: URL } | { ok: false; error: FieldError };

const refuse = (field: string | undefined, message: string): EventResult => ({ ok: false, error: { code: 'invalid_field', message, field } });
const stringProblem = (v: unknown, check: (s: string) => string | null): string | null =>
  typeof v === 'string' ? check(v) : 'must be a string';
const idProblem = (s: string) => (ID_PATTERN.test(s) ? null : ID_MESSAGE);

/**
 * Checks one raw event. Errors name the field relative to the event (`n`, `p.color`), or no field
 * when the event itself is not an object; unknown keys are ignored, as zod objects do.
 * @example parseEvent({ i: 'k3j4h5g6', n: 'pageview', c: 'analytics', ts: Date.now(), u: 'https://a.example/' })
 */
export function parseEvent(raw: unknown, now: number): EventResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return refuse(undefined, 'must be an object');
  const e = raw as Record<string, unknown>;
  let problem: string | null;
  if ((problem = stringProblem(e.i, idProblem))) return refuse('i', problem);
  if ((problem = stringProblem(e.n, (s) => labelProblem(s, LIMITS.nameLength)))) return refuse('n', problem);
  if ((problem = stringProblem(e.c, (s) => (CATEGORY_PATTERN.test(s) ? null : CATEGORY_MESSAGE)))) return refuse('c', problem);
  if ((problem = typeof e.ts === 'number' ? timeProblem(e.ts, now) : 'must be a number')) return refuse('ts', problem);
  if (typeof e.u !== 'string') return refuse('u', 'must be a string');
  const url = httpUrl(e.u);
  if (!url) return refuse('u', textProblem(e.u, LIMITS.urlLength) ?? URL_MESSAGE);
  if (e.r !== undefined && (problem = stringProblem(e.r, (s) => textProblem(s, LIMITS.urlLength)))) return refuse('r', problem);
  if (e.pv !== undefined && (problem = stringProblem(e.pv, idProblem))) return refuse('pv', problem);
  const props = e.p === undefined ? undefined : checkProps(e.p);
  if (props && !props.ok) return refuse(props.key === undefined ? 'p' : `p.${props.key}`, props.message);
  if (e.x !== undefined && e.x !== 1) return refuse('x', 'must be 1 (custom event) or absent');
  if (e.x === 1 && BUILTIN_EVENTS.has(e.n as string)) return refuse('n', 'custom events may not use a built-in event name');
  const money = e.rv === undefined ? null : revenueProblem(e.rv);
  if (money) return refuse(money.key ? `rv.${money.key}` : 'rv', money.message);

  const event: WireEvent = { i: e.i as string, n: e.n as string, c: e.c as string, ts: e.ts as number, u: e.u };
  if (e.r !== undefined) event.r = e.r as string;
  if (e.pv !== undefined) event.pv = e.pv as string;
  if (props) event.p = props.props;
  if (e.x === 1) event.x = 1;
  if (e.rv !== undefined) event.rv = { a: (e.rv as WireRevenue).a, c: (e.rv as WireRevenue).c };
  return { ok: true, event, url };
}
