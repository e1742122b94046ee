import { CONFIG } from '../config/sites';
import type { SiteConfig } from '../config/schema';
import type { Env } from '../env';
import { expireArchive } from '../archive/expire';
import { hotCutoff, markDropped } from '../storage/hot-window';
import { catchUpVisits, expireVisits, rechain } from '../storage/visits';

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
 * Per-site retention (`retention_days` in the site config), run by the hourly cron: raw events leave D1 after the hot
 * window (`hot`: they stay in the Parquet archive), visits and page slots (the rollups) after `events`, receipts by decision
 * time, archive partitions by their day (`archive`). Batched so that no single write holds D1 for long; what a run leaves
 * (`complete: false`) the next run continues.
 */
export async function enforceSite(env: Env, site: SiteConfig, now: number, size = 5000, rounds = 20): Promise<RetentionReport> {
  const days = site.retention_days;
  const eventsCutoff = now - days.events * DAY;
  // Fold first: an event leaving D1 must already be in the rollups, which keep the full retention.
  await catchUpVisits(env.DB);
  const hot = hotCutoff(days.hot, now);
  const ev = await inBatches(
    env.DB.prepare('DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE site_id = ?1 AND ts < ?2 LIMIT ?3)').bind(site.id, hot, size),
    size,
    rounds,
  );
  // From now on queries that need raw events start here, and say so.
  if (ev.n) await markDropped(env.DB, site.id, hot).run();
  // A visit goes with its first event's day.
  const rollups: { n: number; complete: boolean }[] = [];
  for (const stmt of expireVisits(env.DB, site.id, eventsCutoff, size)) rollups.push(await inBatches(stmt, size, rounds));
  // The expired visitors' later rows start their chains now (and the first of them is 'new').
  await env.DB.batch(rechain(env.DB));
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
  // Whole day partitions (and old NDJSON objects by their hour).
  const archived = await expireArchive(env.ARCHIVE, site.id, now - days.archive * DAY);
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
