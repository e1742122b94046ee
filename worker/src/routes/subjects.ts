import { Hono } from 'hono';
import { authorize } from '../auth/api-key';
import type { AppEnv } from '../env';
import { apiError } from '../http/errors';
import { eraseSubject, exportSubject, resolveSubject } from '../privacy/subjects';

const subjectId = (raw: string) => {
  if (!raw || raw.length > 256) throw apiError(400, 'invalid_field', 'subject id: 1–256 characters', 'id');
  return raw;
};

/**
 * Data-subject requests from the site's back end (API key): a user id covers every anonymous id
 * linked to it; anything else is taken as one anonymous id.
 * - `GET /api/v1/subjects/{id}/export?site_id=` — every table's rows for the subject;
 * - `DELETE /api/v1/subjects/{id}?site_id=` — erases them (D1 and the R2 archive), keeps a tombstone, reports what was removed.
 */
export const subjectsRoute = new Hono<AppEnv>()
  .get('/api/v1/subjects/:id/export', async function exportSubjectData(c) {
    const siteId = await authorize(c, c.req.query('site_id'));
    const s = await resolveSubject(c.env.DB, siteId, subjectId(c.req.param('id')));
    return c.json(await exportSubject(c.env.DB, s), 200, { 'Cache-Control': 'no-store' });
  })
  .delete('/api/v1/subjects/:id', async function eraseSubjectData(c) {
    const siteId = await authorize(c, c.req.query('site_id'));
    const s = await resolveSubject(c.env.DB, siteId, subjectId(c.req.param('id')));
    const removed = await eraseSubject(c.env.DB, c.env.ARCHIVE, s, Date.now());
    console.log(JSON.stringify({ level: 'info', msg: 'subject erased', site: siteId, type: s.userId ? 'user' : 'anonymous', events: removed.events }));
    return c.json({ erased: true, subject: s.userId ? { type: 'user', anonymous_ids: s.anonIds.length } : { type: 'anonymous' }, removed });
  });
