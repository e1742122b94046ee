import { Hono } from 'hono';
import { requireSecret } from '../../config/secrets';
import { getSite } from '../../config/sites';
import { hmacSha256, toHex } from '../../crypto/hmac';
import type { AppEnv } from '../../env';
import { readJson } from '../../http/body';
import { apiError } from '../../http/errors';

/**
 * The demo shop's own back end: its login computes the identity token the way any site's server
 * would, `hex(HMAC-SHA256(userId, identity secret))`. The secret never reaches the page.
 * Local development only: index.ts mounts it under `__TP_DEV__`, and deployable builds (wrangler.toml
 * defines it `false`) drop this module, since nothing else uses it and building it is marked pure.
 * The demo's pages are static assets that only `npm start` and the tests serve (public/, with
 * public/_redirects for `/` and the SPA's deep links).
 */
export const demoRoute = /* @__PURE__ */ createDemoRoute();

function createDemoRoute() {
  return new Hono<AppEnv>()
    .post('/demo/api/signup', async function demoSignup(c) {
      // The demo stores no account. Without JavaScript the form posts form-encoded: back to the page, nothing in the URL.
      if (!(c.req.header('content-type') ?? '').startsWith('application/json')) return c.redirect('/demo/signup.html', 303);
      const body = (await readJson(c.req.raw, 4096)) as { name?: unknown };
      const name = typeof body?.name === 'string' && body.name.trim() ? body.name.trim().slice(0, 80) : 'there';
      return c.json({ created: true, name });
    })
    .post('/demo/api/login', async function demoLogin(c) {
      const body = (await readJson(c.req.raw, 4096)) as { email?: unknown };
      const email = typeof body?.email === 'string' ? body.email.trim().toLowerCase() : '';
      if (!/^[^@\s]{1,64}@[^@\s]{1,190}$/.test(email)) throw apiError(400, 'invalid_field', 'enter an email address', 'email');
      const site = getSite('demo');
      if (!site?.identity_secret_env) throw apiError(404, 'not_found', 'the demo site is not configured');
      // The demo's "user id" is a stable id derived from the email, as a real shop's customer number would be.
      const userId = `cust_${toHex(await hmacSha256('demo-user-ids', email)).slice(0, 16)}`;
      const token = toHex(await hmacSha256(requireSecret(c.env, site.identity_secret_env), userId));
      return c.json({ userId, token, traits: { email, plan: 'free' } });
    });
}
