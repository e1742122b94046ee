/**
 * The field rules of the wire format, as plain functions: each returns why a value is refused
 * (a message) or null. The zod schemas in `schema.ts` and the event parser in `event.ts` both call
 * these, so a rule is written once. Worker-side only.
 */
import { LIMITS } from './limits';
import type { Props } from './wire';

/** Lone UTF-16 surrogates can't be stored as UTF-8 text without silent replacement. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Keys that would reach an object's prototype if ever assigned naively. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const ID_MESSAGE = '8–64 characters of [A-Za-z0-9_-]';
export const CATEGORY_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
export const CATEGORY_MESSAGE = 'lower-case category id';

/** Text that can be stored as it is: bounded, well-formed UTF-16, no NUL. */
export function textProblem(s: string, max: number): string | null {
  if (s.length > max) return `at most ${max} characters`;
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate';
  if (s.includes('\u0000')) return 'contains a NUL character';
  return null;
}

/** Names and user ids: non-empty text without control characters. */
export function labelProblem(s: string, max: number): string | null {
  if (s.length === 0) return 'must not be empty';
  return textProblem(s, max) ?? (CONTROL.test(s) ? 'contains control characters' : null);
}

export const URL_MESSAGE = 'must be an absolute http(s) URL';

/** The parsed URL if `s` is an absolute http(s) URL within the length limit, else null. */
export function httpUrl(s: string): URL | null {
  if (textProblem(s, LIMITS.urlLength)) return null;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

/** Events may be late (offline retry) but not older than LIMITS.maxAgeMs, nor from the future. */
export function timeProblem(ts: number, now: number): string | null {
  if (!Number.isInteger(ts)) return 'must be an integer (epoch milliseconds)';
  if (ts < now - LIMITS.maxAgeMs || ts > now + LIMITS.maxSkewMs) return 'outside the accepted window (7 days ago to 5 minutes ahead)';
  return null;
}

export type PropsResult = { ok: true; props: Props } | { ok: false; key?: string; message: string };

/**
 * Flat properties: string/number/boolean/null values, bounded keys and lengths.
 * Returns a null-prototype copy so no key can ever touch `Object.prototype`.
 */
export function checkProps(value: unknown): PropsResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'must be an object of flat values' };
  const keys = Object.keys(value);
  if (keys.length > LIMITS.propsPerEvent) return { ok: false, message: `at most ${LIMITS.propsPerEvent} properties` };
  const props: Props = Object.create(null);
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key) || key.length === 0 || key.length > LIMITS.propKeyLength || CONTROL.test(key) || LONE_SURROGATE.test(key)) {
      return { ok: false, key, message: `property name not allowed (1–${LIMITS.propKeyLength} characters; not __proto__/constructor/prototype)` };
    }
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string') {
      if (textProblem(v, LIMITS.propValueLength)) return { ok: false, key, message: `string values: at most ${LIMITS.propValueLength} well-formed characters` };
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { ok: false, key, message: 'numbers must be finite' };
    } else if (typeof v !== 'boolean' && v !== null) {
      return { ok: false, key, message: 'values must be string, number, boolean or null' };
    }
    props[key] = v as Props[string];
  }
  return { ok: true, props };
}
