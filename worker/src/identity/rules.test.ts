import { describe, expect, it } from 'vitest';
import { allowedTraits, illegalUserId } from './rules';

describe('identity rules', () => {
  it('refuses placeholder and malformed user ids', () => {
    for (const bad of ['', 'null', 'undefined', 'NULL', '0', '000', 'anonymous', 'Guest', '[object Object]', ' u1', 'u1 ', 'x'.repeat(257), 'a\u0000b']) {
      expect(illegalUserId(bad), bad).not.toBeNull();
    }
  });
  it('accepts real ids', () => {
    for (const ok of ['cust_1f2e3d', '42', 'user@example.com', 'a'.repeat(256), 'Ülrich-7']) expect(illegalUserId(ok), ok).toBeNull();
  });
  it('keeps personal traits only when the site allows them', () => {
    expect(allowedTraits({ plan: 'pro', email: 'a@b.de', phone: '1' }, ['email'])).toEqual({ keep: { plan: 'pro', email: 'a@b.de' }, refused: ['phone'] });
  });
});
