import { describe, expect, it } from 'vitest';
import { signToken, verifyToken, type ConsentClaims } from './token';

const claims = (over: Partial<ConsentClaims> = {}): ConsentClaims => ({
  s: 'demo', c: 'consent-1', g: ['analytics'], v: '1', m: 'banner', gpc: 0, iat: 1000, exp: 2000, ...over,
});

describe('consent token', () => {
  it('round-trips and is bound to its site and lifetime', async () => {
    const t = await signToken('k', claims());
    expect(await verifyToken('k', t, 'demo', 1500)).toEqual({ ok: true, claims: claims() });
    // a second check of the same token (served from the isolate cache) still enforces site and expiry
    expect(await verifyToken('k', t, 'other', 1500)).toEqual({ ok: false, reason: 'wrong_site' });
    expect(await verifyToken('k', t, 'demo', 2500)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects another key, a tampered payload and garbage', async () => {
    const t = await signToken('k', claims());
    expect(await verifyToken('other-key', t, 'demo', 1500)).toEqual({ ok: false, reason: 'bad_signature' });
    const [p, s] = t.split('.');
    expect((await verifyToken('k', `${p}x.${s}`, 'demo', 1500)).ok).toBe(false);
    for (const junk of ['', '.', 'abc', 'a.b.c', '!!.??']) expect((await verifyToken('k', junk, 'demo', 1500)).ok).toBe(false);
  });
});
