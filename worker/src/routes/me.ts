import { Hono } from 'hono';
import { z } from 'zod';
import { browserSecretSchema, idSchema, siteIdSchema } from '../../../shared/schema';
import { sha256Hex } from '../crypto/hmac';
import type { AppEnv } from '../env';
import { apiError } from '../http/errors';
import { siteFromQuery, siteRequest } from '../http/site-request';
import { browserAuth, ME_LIMIT_PER_HOUR } from '../privacy/browser-secret';
import { eraseSubject, exportSubject, type Subject } from '../privacy/subjects';
import { subjectHash } from '../privacy/tombstones';

const registerSchema = z.object({ s: siteIdSchema, a: idSchema, k: browserSecretSchema });

/**
 * Visitor self-service for the calling browser (CONTRACT §3), authorized by the browser secret:
 * - `GET /v1/me?s=` — everything recorded under this browser's anonymous id, as JSON;
 * - `DELETE /v1/me?s=` — erases it (the snippet then rotates its ids);
 * - `POST /v1/me` `{s, a, k}` — registers the secret of an anonymous id created outside a consent
 *   decision (logout, erase). First registration wins; an erased id can't be registered again.
 */
export const meRoute = new Hono<AppEnv>()
  .get('/v1/me', async function exportMine(c) {
    const site = siteFromQuery(c);
    const anon = await browserAuth(c, site.id, Date.now());
    const subject: Subject = { siteId: site.id, userId: null, anonIds: [anon] };
    return c.json(await exportSubject(c.env.DB, subject, true), 200, { 'Cache-Control': 'no-store' });
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
    const now = Date.now();
    const { data, site } = await siteRequest(c, registerSchema, 1024);
    const db = c.env.DB;
    const [tomb, recent] = await db.batch<{ n?: number }>([
      db.prepare('SELECT count(*) AS n FROM tombstones WHERE site_id = ?1 AND subject = ?2').bind(site.id, await subjectHash(data.a)),
      db.prepare('SELECT count(*) AS n FROM me_requests WHERE site_id = ?1 AND anon_id = ?2 AND ts > ?3').bind(site.id, data.a, now - 3600_000),
    ]);
    if (tomb!.results[0]?.n) throw apiError(409, 'erased', 'this anonymous id was erased; the browser must use a new one', 'a');
    if ((recent!.results[0]?.n ?? 0) >= ME_LIMIT_PER_HOUR) throw apiError(429, 'rate_limited', `at most ${ME_LIMIT_PER_HOUR} requests an hour`, 'a');
    const [ins] = await db.batch([
      db.prepare('INSERT OR IGNORE INTO browser_secrets (site_id, anon_id, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4)').bind(site.id, data.a, await sha256Hex(data.k), now),
      db.prepare('INSERT INTO me_requests (site_id, anon_id, ts) VALUES (?1, ?2, ?3)').bind(site.id, data.a, now),
    ]);
    if (ins!.meta.changes === 0) throw apiError(409, 'already_registered', 'this anonymous id already has a browser secret', 'a');
    return c.json({ registered: true }, 201);
  });
