import { LIMITS } from '../../../shared/limits';
import { textProblem } from '../../../shared/rules';
import type { Props } from '../../../shared/wire';
import type { Json } from './message';

/**
 * Segment properties are free-form JSON (the e-commerce spec nests `products: [...]`); stored props are flat (≤ 32 keys,
 * strings ≤ 512 characters: docs/storage-schema.md). A server call is not rejected for its shape: scalars are kept,
 * a nested value is kept as its JSON text when that fits, and what can't be kept is left out and counted (`fitted`),
 * so the answer and the log say so.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface Fitted {
  props: Props;
  /** keys left out: too many, bad names, values too long */
  dropped: string[];
}

/** `skip` names keys already stored elsewhere (revenue, currency, the consent category, page URL fields). */
export function fitProps(source: Json, skip: ReadonlySet<string> = new Set()): Fitted {
  const props: Props = Object.create(null);
  const dropped: string[] = [];
  let n = 0;
  for (const [key, v] of Object.entries(source)) {
    if (skip.has(key)) continue;
    if (FORBIDDEN_KEYS.has(key) || key.length === 0 || key.length > LIMITS.propKeyLength || CONTROL.test(key) || textProblem(key, LIMITS.propKeyLength)) {
      dropped.push(key.slice(0, LIMITS.propKeyLength));
      continue;
    }
    let value: string | number | boolean | null | undefined;
    if (v === null || typeof v === 'boolean') value = v;
    else if (typeof v === 'number') value = Number.isFinite(v) ? v : undefined;
    else if (typeof v === 'string') value = textProblem(v, LIMITS.propValueLength) ? undefined : v;
    else if (typeof v === 'object') {
      const text = JSON.stringify(v);
      value = text.length <= LIMITS.propValueLength && !textProblem(text, LIMITS.propValueLength) ? text : undefined;
    }
    if (value === undefined || n >= LIMITS.propsPerEvent) {
      dropped.push(key);
      continue;
    }
    props[key] = value;
    n++;
  }
  return { props, dropped };
}

export type Revenue = { ok: true; revenue: number | null; currency: string | null } | { ok: false; field: string; message: string };

let known: Set<string> | null = null;
const digits = new Map<string, number>();
/** Minor-unit digits of an ISO 4217 code (2 for EUR, 0 for JPY, 3 for BHD), from the runtime's ICU data; null if unknown. */
function minorDigits(code: string): number | null {
  known ??= new Set(Intl.supportedValuesOf('currency'));
  if (!known.has(code)) return null;
  let d = digits.get(code);
  if (d === undefined) {
    d = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
    digits.set(code, d);
  }
  return d;
}

/**
 * `properties.revenue` (a number in major units, as Segment's spec has it) and `properties.currency` (ISO 4217; Segment's
 * default is USD) as exact minor units: 19.99 EUR is 1999, so sums never drift. Amounts finer than the currency's minor
 * unit are rounded to it. Negative amounts (refunds) are kept.
 */
export function revenueOf(p: Json): Revenue {
  const raw = p.revenue;
  if (raw === undefined || raw === null || raw === '') return { ok: true, revenue: null, currency: null };
  const amount = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(amount)) return { ok: false, field: 'properties.revenue', message: 'must be a number (major units, such as 19.99)' };
  const cur = p.currency === undefined || p.currency === null || p.currency === '' ? 'USD' : p.currency;
  if (typeof cur !== 'string' || !/^[A-Za-z]{3}$/.test(cur)) return { ok: false, field: 'properties.currency', message: 'must be an ISO 4217 code such as EUR' };
  const code = cur.toUpperCase();
  const d = minorDigits(code);
  if (d === null) return { ok: false, field: 'properties.currency', message: `unknown ISO 4217 code "${cur}"` };
  const minor = Math.round(amount * 10 ** d);
  if (!Number.isSafeInteger(minor)) return { ok: false, field: 'properties.revenue', message: 'too large' };
  return { ok: true, revenue: minor === 0 ? 0 : minor, currency: code };
}
