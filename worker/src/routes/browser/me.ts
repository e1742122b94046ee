import { Hono } from 'hono';
import { z } from 'zod';
import { browserSecretSchema, idSchema, siteIdSchema } from '../../../../shared/schema';
import { archiveBefore } from '../../storage/hot-window';
import type { AppEnv } from '../../env';
import { siteFromQuery, siteRequest } from '../../http/site-request';
import { requireBrowser } from '../../privacy/browser-proof';
import { browserAuth } from '../../privacy/browser-secret';
import { eraseSubject, exportSubject, type Subject } from '../../privacy/subjects';

export const registerSchema = z.object({ s: siteIdSchema, a: idSchema, k: browserSecretSchema });

/**
 * Visitor self-service for the calling browser (CONTRACT §3), authorized by the browser secret:
 * - `GET /v1/me?s=` — everything recorded under this browser's anonymous id, as JSON;
 * - `DELETE /v1/me?s=` — erases it (the snippet then rotates its ids);
 * - `POST /v1/me` `{s, a, k}` — binds the secret to an anonymous id created outside a consent
 *   decision (logout, erase). Only an id with no data can be bound (see `proveBrowser`); an erased
 *   id never again (410).
 */
export const meRoute = new Hono<AppEnv>()
  .get('/v1/me', async function exportMine(c) {
    const site = siteFromQuery(c);
    const anon = await browserAuth(c, site.id, Date.now());
    const subject: Subject = { siteId: site.id, userId: null, anonIds: [anon] };
    // Where raw events left D1, from the archive: only the days the rollups saw this browser on.
    const before = await archiveBefore(c.env, site.id);
    const archive = before ? { bucket: c.env.ARCHIVE, before, narrow: true } : undefined;
    return c.json(await exportSubject(c.env.DB, subject, true, archive), 200, { 'Cache-Control': 'no-store' });
  })
  .delete('/v1/me', async function eraseMine(c) {
    const site = siteFromQuery(c);
    const now = Date.now();
    const anon = await browserAuth(c, site.id, now);
    const report = await eraseSubject(c.env.DB, c.env.ARCHIVE, { siteId: site.id, userId: null, anonIds: [anon] }, now);
    console.log(JSON.stringify({ level: 'info', msg: 'self-service erasure', site: site.id, events: report.events }));
    return c.json({ erased: true, removed: report });
  })
  .post('/v1/me', async function registerSecret(c) {
    const { data, site } = await siteRequest(c, registerSchema, 1024);
    const proof = await requireBrowser(c.env.DB, site.id, data.a, data.k, Date.now());
    return c.json({ registered: proof.registered }, proof.registered ? 201 : 200);
  });
