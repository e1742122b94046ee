import { Hono } from 'hono';
import type { Context } from 'hono';
import { archiveBefore } from '../../storage/hot-window';
import { authorize } from '../../auth/api-key';
import { getSite } from '../../config/sites';
import type { AppEnv } from '../../env';
import { apiError } from '../../http/errors';
import { eraseSubject, exportSubject, resolveSubject, type Subject, type SubjectKind } from '../../privacy/subjects';

const KINDS: readonly SubjectKind[] = ['user', 'anonymous'];

/** The subject named by the path and `?kind=` (required: an id is never taken for another kind), or a 404. */
async function subjectOf(c: Context<AppEnv>, siteId: string): Promise<Subject> {
  const id = c.req.param('id') ?? '';
  if (!id || id.length > 256) throw apiError(400, 'invalid_field', 'subject id: 1–256 characters', 'id');
  const kind = c.req.query('kind') as SubjectKind;
  if (!KINDS.includes(kind)) throw apiError(400, 'invalid_field', 'kind must be "user" (a user id and every device linked to it) or "anonymous" (one browser)', 'kind');
  const s = await resolveSubject(c.env.DB, siteId, id, kind);
  if (!s) throw apiError(404, 'unknown_subject', `nothing is stored about this ${kind === 'user' ? 'user id' : 'anonymous id'} on this site`, 'id');
  return s;
}

/**
 * Data-subject requests from the site's back end (API key):
 * - `GET /api/v1/subjects/{id}/export?site_id=&kind=` — every table's rows for the subject;
 * - `DELETE /api/v1/subjects/{id}?site_id=&kind=` — erases them (D1 and the R2 archive), keeps a
 *   tombstone so the ids stay dead, reports what was removed. Nothing stored: 404, no tombstone.
 */
export const subjectsRoute = new Hono<AppEnv>()
  .get('/api/v1/subjects/:id/export', async function exportSubjectData(c) {
    const siteId = await authorize(c, c.req.query('site_id'));
    const s = await subjectOf(c, siteId);
    // Where raw events left D1, they are read from the Parquet archive (every day partition: a DSAR covers everything).
    const before = await archiveBefore(c.env, siteId);
    const archive = before ? { bucket: c.env.ARCHIVE, before } : undefined;
    return c.json(await exportSubject(c.env.DB, s, false, archive), 200, { 'Cache-Control': 'no-store' });
  })
  .delete('/api/v1/subjects/:id', async function eraseSubjectData(c) {
    const siteId = await authorize(c, c.req.query('site_id'));
    const s = await subjectOf(c, siteId);
    const removed = await eraseSubject(c.env.DB, c.env.ARCHIVE, s, Date.now());
    console.log(JSON.stringify({ level: 'info', msg: 'subject erased', site: siteId, type: s.userId ? 'user' : 'anonymous', events: removed.events }));
    return c.json({ erased: true, subject: s.userId ? { type: 'user', anonymous_ids: s.anonIds.length } : { type: 'anonymous' }, removed });
  });
