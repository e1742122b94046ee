import type { Env } from '../env';
import { r2ArchiveOn } from './archive-sink';

const DAY = 86_400_000;

/**
 * The start of D1's hot window: raw events stay in D1 from this instant on (`retention_days.hot` whole UTC days before
 * today); older ones live in the Parquet archive only (the rollups keep `retention_days.events`). Day-aligned, so that
 * "before the window" is whole archive partitions (`date=` before the cutoff's day) and "in it" is D1: a reader that
 * takes each side from its own store sees every event once.
 */
export const hotCutoff = (hotDays: number, now: number): number => Math.floor(now / DAY) * DAY - hotDays * DAY;


/**
 * Where a site's raw events in D1 begin: the instant before which retention removed them (moved forward only by
 * `markDropped`), or undefined when nothing was ever removed. Queries clamp to this, so they warn exactly where rows are
 * gone — not wherever the clock says the window ends (rows the cron has not removed yet still count).
 */
export async function rawFrom(db: D1Database, siteId: string): Promise<number | undefined> {
  const row = await db.prepare('SELECT dropped_before FROM hot_window WHERE site_id = ?1').bind(siteId).first<{ dropped_before: number }>();
  return row?.dropped_before ?? undefined;
}

/** Records that raw events before `before` were removed from D1 (never moves back). */
export const markDropped = (db: D1Database, siteId: string, before: number): D1PreparedStatement =>
  db
    .prepare(
      `INSERT INTO hot_window (site_id, dropped_before) VALUES (?1, ?2)
       ON CONFLICT (site_id) DO UPDATE SET dropped_before = max(dropped_before, excluded.dropped_before)`,
    )
    .bind(siteId, before);

/**
 * Where a reader of one subject's events (profiles, DSAR and self-service exports) switches from the archive to D1: where
 * retention removed raw events, when the R2 archive holds them; 0 (read D1 alone) when nothing was removed or the archive is
 * elsewhere. One place for the choice, so no reader splits by the clock while D1 still has the rows.
 */
export async function archiveBefore(env: Env, siteId: string): Promise<number> {
  return r2ArchiveOn(env) ? ((await rawFrom(env.DB, siteId)) ?? 0) : 0;
}
