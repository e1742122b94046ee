import { describe, expect, it } from 'vitest';
import { convertMinor, currencyExponent, fromMinorUnits, revenueProblem, toMinorUnits } from './money';

describe('money', () => {
  it('amounts become exact minor units of their currency, rounded half up on the printed digits', () => {
    expect(toMinorUnits(19.99, 'EUR')).toBe(1999);
    expect(toMinorUnits(0.1 + 0.2, 'EUR')).toBe(30); // 0.30000000000000004
    expect(toMinorUnits(1.005, 'EUR')).toBe(101); // a binary double just below 1.005: float rounding would give 100
    expect(toMinorUnits(0.125, 'USD')).toBe(13);
    expect(toMinorUnits(0.124999, 'USD')).toBe(12);
    expect(toMinorUnits(1234.5, 'JPY')).toBe(1235);
    expect(toMinorUnits(1234.4, 'JPY')).toBe(1234);
    expect(toMinorUnits(1.0005, 'KWD')).toBe(1001);
    expect(toMinorUnits(0.0004, 'BHD')).toBe(0);
    expect(toMinorUnits(1.5e-7, 'EUR')).toBe(0);
    expect(toMinorUnits(0, 'EUR')).toBe(0);
    expect(toMinorUnits(1e9, 'EUR')).toBe(100_000_000_000);
    expect(toMinorUnits(999999999.995, 'EUR')).toBe(100_000_000_000);
    expect([currencyExponent('JPY'), currencyExponent('EUR'), currencyExponent('OMR'), currencyExponent('CLF')]).toEqual([0, 2, 3, 4]);
    expect(fromMinorUnits(1999, 'EUR')).toBe(19.99);
    expect(fromMinorUnits(1999, 'JPY')).toBe(1999);
  });

  it('sums 0.1 + 0.2 + … exactly once in minor units', () => {
    const cents = [0.1, 0.2, 0.7, 19.99, 0.01].map((a) => toMinorUnits(a, 'EUR'));
    expect(cents.reduce((a, b) => a + b, 0)).toBe(2100);
  });

  it('converts at the rate’s decimal digits with integer arithmetic, one rounding (half up)', () => {
    expect(convertMinor(1999, 'USD', 'EUR', 0.92)).toBe(1839); // 18.3908
    expect(convertMinor(3, 'GBP', 'EUR', 1.17)).toBe(4); // 3.51
    expect(convertMinor(50, 'USD', 'EUR', 0.93)).toBe(47); // 46.5 exactly: half up
    expect(convertMinor(1000, 'JPY', 'EUR', 0.0061)).toBe(610); // 1000 yen → 6.10 EUR
    expect(convertMinor(1000, 'EUR', 'JPY', 163.5)).toBe(1635); // 10 EUR → 1635 yen
    expect(convertMinor(1001, 'KWD', 'EUR', 2.98)).toBe(298); // 1.001 KWD → 2.98298 EUR
  });

  it('names the wire field at fault', () => {
    expect(revenueProblem({ a: 19.99, c: 'EUR' })).toBeNull();
    expect(revenueProblem({ a: 0, c: 'JPY' })).toBeNull();
    expect(revenueProblem(19.99)).toEqual({ message: expect.stringContaining('must be an object') });
    expect(revenueProblem({ a: '19.99', c: 'EUR' })).toMatchObject({ key: 'a' });
    expect(revenueProblem({ a: -1, c: 'EUR' })).toMatchObject({ key: 'a', message: 'must not be negative' });
    expect(revenueProblem({ a: 1e10, c: 'EUR' })).toMatchObject({ key: 'a' });
    expect(revenueProblem({ a: Number.NaN, c: 'EUR' })).toMatchObject({ key: 'a' });
    expect(revenueProblem({ a: 1, c: 'eur' })).toMatchObject({ key: 'c' });
    expect(revenueProblem({ a: 1, c: 'EURO' })).toMatchObject({ key: 'c' });
    expect(revenueProblem({ a: 1 })).toMatchObject({ key: 'c' });
  });
});
