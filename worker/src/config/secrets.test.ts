import { describe, expect, it } from 'vitest';
import type { Env } from '../env';
import { ConfigError, requireSecret, secret } from './secrets';

// The worker has no default secret of its own: the local ones come from npm start / the tests as bindings
// (scripts/dev-defaults.mjs), so a deployed Worker that lacks one fails closed, naming it.
describe('secrets', () => {
  const none = {} as Env;

  it('has no built-in default, not even in a development build', () => {
    for (const name of ['TP_ADMIN_KEY', 'TP_CONSENT_KEY', 'TP_DEMO_IDENTITY_SECRET', 'TP_DEMO_WRITE_KEY']) expect(secret(none, name)).toBeUndefined();
  });

  it('a missing secret is a configuration error that names it', () => {
    expect(() => requireSecret(none, 'TP_CONSENT_KEY')).toThrow(ConfigError);
    expect(() => requireSecret({ TP_CONSENT_KEY: '' } as Env, 'TP_CONSENT_KEY')).toThrow('missing secret TP_CONSENT_KEY: set it with `wrangler secret put TP_CONSENT_KEY`');
    expect(requireSecret({ TP_CONSENT_KEY: 'k' } as Env, 'TP_CONSENT_KEY')).toBe('k');
  });
});
