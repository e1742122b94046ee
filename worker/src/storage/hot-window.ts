import type { SiteConfig } from '../config/schema';

const DAY = 86_400_000;

/**
 * The start of D1's hot window: raw events stay in D1 from this instant on (`retention_days.hot` whole UTC days before
 * today); older ones live in the Parquet archive only (the rollups keep `retention_days.events`). Day-aligned, so that
 * "before the window" is whole archive partitions (`date=` before the cutoff's day) and "in it" is D1: a reader that
 * takes each side from its own store sees every event once.
 */
export const hotCutoff = (hotDays: number, now: number): number => Math.floor(now / DAY) * DAY - hotDays * DAY;

/** The hot window's start for a site. */
export const hotFrom = (site: SiteConfig, now: number): number => hotCutoff(site.retention_days.hot, now);

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
