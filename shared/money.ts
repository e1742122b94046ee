/**
 * Money on the wire and in storage. A revenue amount arrives as a JSON number in major units (`19.99`) with its
 * ISO 4217 code, and is stored as an exact integer of the currency's minor units (`1999`), so sums never drift.
 * Worker-side (the snippet imports only the `WireRevenue` type from `wire.ts`).
 */

/** Three upper-case letters: the shape of an ISO 4217 code. */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;
export const CURRENCY_MESSAGE = 'an ISO 4217 currency code: three upper-case letters such as EUR';
/** The largest amount accepted, in major units: far above any single order, and exact in minor units as a double. */
export const MAX_AMOUNT = 1e9;

/**
 * ISO 4217 minor-unit exponents that are not 2 (the default). 0: no minor unit in use (JPY, KRW, …); 3: dinars and
 * rials with fils/baisa; 4: the Chilean and Uruguayan indexed units.
 */
const EXPONENTS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/** Digits after the decimal point in `code`'s minor unit (2 unless ISO 4217 says otherwise). */
export const currencyExponent = (code: string): number => EXPONENTS[code] ?? 2;

/**
 * The decimal digits of a finite, non-negative number as JavaScript prints it (the shortest text that reads back as the
 * same double: `0.1 + 0.2` prints `0.30000000000000004`), with exponent notation (`1.5e-7`) written out.
 */
function decimalText(n: number): { int: string; frac: string } {
  const [mantissa, exp] = String(n).split('e') as [string, string | undefined];
  const [i, f = ''] = mantissa.split('.') as [string, string | undefined];
  let digits = i + f;
  let point = i.length + Number(exp ?? 0);
  if (point <= 0) (digits = '0'.repeat(1 - point) + digits), (point = 1);
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  return { int: digits.slice(0, point), frac: digits.slice(point) };
}

/**
 * `amount` (major units) as an exact integer of `code`'s minor units, rounded half up on the printed decimal digits
 * rather than on the binary double: `19.99` → 1999, `0.1 + 0.2` → 30 (EUR), `1234.5` → 1235 (JPY), `0.0005` → 1 (KWD).
 * @example toMinorUnits(19.99, 'EUR') // 1999
 */
export function toMinorUnits(amount: number, code: string): number {
  const e = currencyExponent(code);
  const { int, frac } = decimalText(amount);
  const kept = Number(int + frac.slice(0, e).padEnd(e, '0'));
  return (frac.charCodeAt(e) || 0) >= 53 /* '5' */ ? kept + 1 : kept;
}

/** Minor units back to a number of major units (for answers: 1999 EUR → 19.99). */
export const fromMinorUnits = (minor: number, code: string): number => minor / 10 ** currencyExponent(code);

/** Why `v` is not a wire revenue (`{a, c}`), naming the key at fault, or null when it is one. */
export function revenueProblem(v: unknown): { key?: 'a' | 'c'; message: string } | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { message: 'must be an object {"a": amount, "c": currency}' };
  const { a, c } = v as Record<string, unknown>;
  if (typeof a !== 'number' || !Number.isFinite(a)) return { key: 'a', message: 'must be a finite number (major units, e.g. 19.99)' };
  if (a < 0) return { key: 'a', message: 'must not be negative' };
  if (a > MAX_AMOUNT) return { key: 'a', message: `at most ${MAX_AMOUNT}` };
  if (typeof c !== 'string' || !CURRENCY_PATTERN.test(c)) return { key: 'c', message: CURRENCY_MESSAGE };
  return null;
}

/**
 * `minor` units of currency `from` in minor units of `to`, at `rate` (one unit of `from` is worth `rate` units of `to`),
 * rounded half up once. The rate is taken at its printed decimal digits (0.92 is exactly 92/100) and the arithmetic is
 * on integers, so the result never depends on binary floating point.
 * @example convertMinor(1999, 'USD', 'EUR', 0.92) // 1839 (18.3908 EUR)
 */
export function convertMinor(minor: number, from: string, to: string, rate: number): number {
  const { int, frac } = decimalText(rate);
  const num = BigInt(minor) * BigInt(int + frac) * 10n ** BigInt(currencyExponent(to));
  const den = 10n ** BigInt(frac.length + currencyExponent(from));
  return Number((2n * num + den) / (2n * den));
}
