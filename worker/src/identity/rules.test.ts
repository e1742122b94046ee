import { describe, expect, it } from 'vitest';
import { allowedTraits, illegalUserId } from './rules';

describe('identity rules', () => {
  it('refuses placeholder and malformed user ids', () => {
    for (const bad of ['', 'null', 'undefined', 'NULL', '0', '000', 'anonymous', 'Guest', '[object Object]', ' u1', 'u1 ', 'x'.repeat(257), 'a\u0000b']) {
      expect(illegalUserId(bad), bad).not.toBeNull();
    }
  });
  it('refuses placeholders dressed up: invisible characters, full-width forms, inner white space', () => {
    const dressed = [
      'null\u200b', '\u200bguest', 'ｎｕｌｌ', 'ＮＵＬＬ', 'un\u00addefined', 'nu\ufeffll', 'nu\u200dll', 'anon\u2060ymous', '\u202enull',
      'guest\u3164', 'null\u2800', '[object\u00a0Object]', '[object   Object]', 'Ｇｕｅｓｔ', 'n\u200c/a',
    ];
    for (const bad of dressed) expect(illegalUserId(bad), JSON.stringify(bad)).toMatch(/placeholder/);
  });
  it('refuses every way of writing zero (and -1)', () => {
    for (const bad of ['0.0', '-0', '+0', '0e0', '00.00', '.0', '0.', '0E+5', '-0.000', '０', '-1.0', '-01']) {
      expect(illegalUserId(bad), bad).toMatch(/placeholder/);
    }
  });
  it('refuses ids that are empty once invisible characters are removed', () => {
    for (const bad of ['\u200b', '\u200b\u200c\u200d', '\u00ad', '\u2060\ufeff\u2060', '\u3164']) expect(illegalUserId(bad), JSON.stringify(bad)).toMatch(/empty/);
    expect(illegalUserId('a\u0085b')).toMatch(/control/);
  });
  it('accepts real ids', () => {
    const real = [
      'cust_1f2e3d', 'cust_1234', '42', '007', '1e3', '0x1f', '10', '-5', 'user@example.com', 'a'.repeat(256), 'Ülrich-7', 'Zoë Müller', '山田太郎',
      'میلاد\u200cرضایی', '👩\u200d💻-dev', 'nullable', 'guest-4711', 'null_user_9', 'ｃｕｓｔ_１',
    ];
    for (const ok of real) expect(illegalUserId(ok), ok).toBeNull();
  });
  it('keeps personal traits only when the site allows them', () => {
    expect(allowedTraits({ plan: 'pro', email: 'a@b.de', phone: '1' }, ['email'])).toEqual({ keep: { plan: 'pro', email: 'a@b.de' }, refused: ['phone'] });
  });
});
