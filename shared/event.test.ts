import { describe, expect, it } from 'vitest';
import { parseEvent } from './event';

const now = Date.UTC(2026, 10, 24, 12);
const valid = { i: 'k3j4h5g6', n: 'pageview', c: 'analytics', ts: now - 1000, u: 'https://shop.example/a?b=1' };
const fieldOf = (raw: unknown) => {
  const r = parseEvent(raw, now);
  return r.ok ? 'valid' : (r.error.field ?? '(event)');
};

describe('parseEvent', () => {
  it('keeps only the wire keys, parses the page URL once and copies props without a prototype', () => {
    const r = parseEvent({ ...valid, r: '', pv: 'pv-000001', p: { plan: 'pro', n: 2, ok: true, none: null }, extra: 'dropped', x: undefined }, now);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toEqual({ ...valid, r: '', pv: 'pv-000001', p: { plan: 'pro', n: 2, ok: true, none: null } });
    expect(Object.keys(r.event)).not.toContain('extra');
    expect(Object.getPrototypeOf(r.event.p)).toBeNull();
    expect(r.url.pathname).toBe('/a');
    expect(r.url.searchParams.get('b')).toBe('1');
  });

  it('names the first failing field, in wire order', () => {
    expect(fieldOf('x')).toBe('(event)');
    expect(fieldOf([valid])).toBe('(event)');
    expect(fieldOf({})).toBe('i');
    expect(fieldOf({ ...valid, i: 'short' })).toBe('i');
    expect(fieldOf({ ...valid, i: 'has space1' })).toBe('i');
    expect(fieldOf({ ...valid, n: '' })).toBe('n');
    expect(fieldOf({ ...valid, n: 'bell\u0007' })).toBe('n');
    expect(fieldOf({ ...valid, n: 'x'.repeat(65) })).toBe('n');
    expect(fieldOf({ ...valid, c: 'Analytics' })).toBe('c');
    expect(fieldOf({ ...valid, ts: now + 6 * 60_000 })).toBe('ts');
    expect(fieldOf({ ...valid, ts: now - 8 * 864e5 })).toBe('ts');
    expect(fieldOf({ ...valid, ts: now + 0.5 })).toBe('ts');
    expect(fieldOf({ ...valid, ts: String(now) })).toBe('ts');
    expect(fieldOf({ ...valid, u: 'ftp://a.example/' })).toBe('u');
    expect(fieldOf({ ...valid, u: '/relative' })).toBe('u');
    expect(fieldOf({ ...valid, u: `https://a.example/${'x'.repeat(2048)}` })).toBe('u');
    expect(fieldOf({ ...valid, r: 5 })).toBe('r');
    expect(fieldOf({ ...valid, r: null })).toBe('r');
    expect(fieldOf({ ...valid, pv: 'no' })).toBe('pv');
    expect(fieldOf({ ...valid, p: 'flat' })).toBe('p');
    expect(fieldOf({ ...valid, p: { deep: [1] } })).toBe('p.deep');
    expect(fieldOf({ ...valid, p: JSON.parse('{"__proto__":1}') })).toBe('p.__proto__');
    expect(fieldOf({ ...valid, p: { big: Infinity } })).toBe('p.big');
    expect(fieldOf({ ...valid, x: true })).toBe('x');
    expect(fieldOf({ ...valid, x: 1 })).toBe('n');
    expect(fieldOf({ ...valid, n: 'signup', x: 1 })).toBe('valid');
  });

  it('revenue (rv): a finite, non-negative amount up to 1e9 in an ISO 4217 currency; the share event is built in', () => {
    const r = parseEvent({ ...valid, n: 'purchase', x: 1, rv: { a: 19.99, c: 'EUR', extra: 1 } }, now);
    expect(r.ok && r.event.rv).toEqual({ a: 19.99, c: 'EUR' });
    expect(fieldOf({ ...valid, rv: { a: 0, c: 'JPY' } })).toBe('valid');
    expect(fieldOf({ ...valid, rv: 19.99 })).toBe('rv');
    expect(fieldOf({ ...valid, rv: { a: -0.01, c: 'EUR' } })).toBe('rv.a');
    expect(fieldOf({ ...valid, rv: { a: 1e9 + 1, c: 'EUR' } })).toBe('rv.a');
    expect(fieldOf({ ...valid, rv: { a: '5', c: 'EUR' } })).toBe('rv.a');
    expect(fieldOf({ ...valid, rv: { a: 5, c: 'eur' } })).toBe('rv.c');
    expect(fieldOf({ ...valid, rv: { a: 5 } })).toBe('rv.c');
    expect(fieldOf({ ...valid, n: 'share' })).toBe('valid');
    expect(fieldOf({ ...valid, n: 'share', x: 1 })).toBe('n');
  });

  it('refuses text that cannot be stored as UTF-8 exactly', () => {
    expect(fieldOf({ ...valid, n: 'lone \ud83d' })).toBe('n');
    expect(fieldOf({ ...valid, n: 'pair \ud83d\ude00' })).toBe('valid');
    expect(fieldOf({ ...valid, r: 'nul\u0000' })).toBe('r');
    expect(fieldOf({ ...valid, p: { v: 'lone \udc00' } })).toBe('p.v');
  });
});
