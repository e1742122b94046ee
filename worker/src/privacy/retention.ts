import { CONFIG } from '../config/sites';
import type { SiteConfig } from '../config/schema';
import type { Env } from '../env';
import { expireVisits } from '../storage/visits';

const DAY = 86_400_000;
/** Housekeeping tables: identify attempts feed rate limits and refusal counts; me_requests the self-service limit. */
export const HOUSEKEEPING_DAYS = { identify_attempts: 90, me_requests: 1 } as const;

export interface RetentionReport {
  site: string;
  events: number;
  visits: number;
  receipts: number;
  archive_objects: number;
  complete: boolean;
}

/** Deletes `sql`'s rows in batches of `size` until none are left or `rounds` ran out (each round is a short write). */
async function inBatches(stmt: D1PreparedStatement, size: number, rounds: number): Promise<{ n: number; complete: boolean }> {
  let n = 0;
  for (let i = 0; i < rounds; i++) {
    const { meta } = await stmt.run();
    n += meta.changes;
    if (meta.changes < size) return { n, complete: true };
  }
  return { n, complete: false };
}

/**
 * Per-site retention (`retention_days` in the site config), run by the hourly cron: events by
 * their time, visits by start time, receipts by decision time, archive objects by their hour. Batched so that no single
 * write holds D1 for long; what a run leaves (`complete: false`) the next run continues.
 */
export async function enforceSite(env: Env, site: SiteConfig, now: number, size = 5000, rounds = 20): Promise<RetentionReport> {
  const days = site.retention_days;
  const eventsCutoff = now - days.events * DAY;
  const ev = await inBatches(
    env.DB.prepare('DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE site_id = ?1 AND ts < ?2 LIMIT ?3)').bind(site.id, eventsCutoff, size),
    size,
    rounds,
  );
  // A visit goes with its first event's day.
  const rollups: { n: number; complete: boolean }[] = [];
  for (const stmt of expireVisits(env.DB, site.id, eventsCutoff, size)) rollups.push(await inBatches(stmt, size, rounds));
  const [visits, pages] = rollups as [{ n: number; complete: boolean }, { n: number; complete: boolean }];
  const rc = await inBatches(
    env.DB.prepare(
      'DELETE FROM consent_receipts WHERE site_id = ?1 AND receipt_id IN (SELECT receipt_id FROM consent_receipts WHERE site_id = ?1 AND ts < ?2 LIMIT ?3)',
    ).bind(site.id, now - days.receipts * DAY, size),
    size,
    rounds,
  );
  // A latest decision older than the receipts' retention has no evidence left: it goes with them (tokens expire sooner).
  await env.DB.prepare('DELETE FROM consent_state WHERE site_id = ?1 AND decided_at < ?2').bind(site.id, now - days.receipts * DAY).run();
  // Archive keys are events/<site>/YYYY/MM/DD/HH/…: an object goes once its whole hour is past the cutoff.
  const cutoff = now - days.archive * DAY;
  let archived = 0;
  let cursor: string | undefined;
  do {
    const page = await env.ARCHIVE.list({ prefix: `events/${site.id}/`, cursor, limit: 1000 });
    cursor = page.truncated ? page.cursor : undefined;
    const old = page.objects
      .map((o) => o.key)
      .filter((k) => {
        const m = /^events\/[^/]+\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\//.exec(k);
        return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]! + 1) <= cutoff : false;
      });
    if (old.length) await env.ARCHIVE.delete(old);
    archived += old.length;
  } while (cursor);
  return { site: site.id, events: ev.n, visits: visits.n, receipts: rc.n, archive_objects: archived, complete: ev.complete && rc.complete && visits.complete && pages.complete };
}

export async function enforceRetention(env: Env, now: number): Promise<{ sites: RetentionReport[]; identify_attempts: number; me_requests: number }> {
  const sites: RetentionReport[] = [];
  for (const site of Object.values(CONFIG.sites)) sites.push(await enforceSite(env, site, now));
  const [attempts, me] = await env.DB.batch([
    env.DB.prepare('DELETE FROM identify_attempts WHERE ts < ?1').bind(now - HOUSEKEEPING_DAYS.identify_attempts * DAY),
    env.DB.prepare('DELETE FROM me_requests WHERE ts < ?1').bind(now - HOUSEKEEPING_DAYS.me_requests * DAY),
  ]);
  return { sites, identify_attempts: attempts!.meta.changes, me_requests: me!.meta.changes };
}
