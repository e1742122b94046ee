import type { Env } from '../env';
import { writeParts } from './archive';
import type { EventRow } from './messages';
import { ARCHIVE_COLUMNS } from './parquet';

/**
 * Where the queue consumer sends the accepted rows for the long term. One method, so that the choice is
 * configuration (`TP_ARCHIVE_SINK`), never a change to the consumer:
 * - `r2` (default): Parquet parts in the ARCHIVE bucket (storage/archive.ts), compacted hourly, served by
 *   `GET /api/v1/archive`, read back for DSAR exports and profiles, rewritten by erasure;
 * - `pipelines`: the same rows, same column names, to a Cloudflare Pipelines stream (binding ARCHIVE_STREAM) whose
 *   sink is an R2 Data Catalog (Iceberg) table — queryable by R2 SQL, Spark, Snowflake, DuckDB's iceberg extension.
 *   Cloudflare batches and compacts; erasure there is a `DELETE` on the table (README, "Archive");
 * - `r2,pipelines`: both (a migration period, or the open archive and a warehouse side by side).
 */
export interface ArchiveSink {
  readonly name: string;
  /**
   * Stores rows of one consumer invocation. `batch` is stable across redeliveries of the same queue messages, so a
   * retried write replaces what an earlier attempt wrote instead of adding to it (where the sink can: R2 can, a
   * stream can't — readers of the Iceberg table dedupe by `id`).
   */
  write(rows: readonly EventRow[], batch: string): Promise<void>;
}

export const r2Sink = (bucket: R2Bucket): ArchiveSink => ({
  name: 'r2',
  async write(rows, batch) {
    await writeParts(bucket, rows, batch);
  },
});

/** Records for a Pipelines stream: the archive's columns, flags as booleans, props as a JSON object. */
export function streamRecord(row: EventRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of ARCHIVE_COLUMNS) {
    const v = row[name];
    out[name] = kind === 'flag' ? v === 1 : kind === 'json' ? (typeof v === 'string' ? JSON.parse(v) : null) : v;
  }
  return out;
}

/** Pipelines accepts up to 1 MB per send; 500 events of ≤ ~2 KB each stay under it. */
const SEND_CHUNK = 500;
export const pipelinesSink = (stream: NonNullable<Env['ARCHIVE_STREAM']>): ArchiveSink => ({
  name: 'pipelines',
  async write(rows) {
    for (let i = 0; i < rows.length; i += SEND_CHUNK) await stream.send(rows.slice(i, i + SEND_CHUNK).map(streamRecord));
  },
});

/** The sinks `TP_ARCHIVE_SINK` names (comma-separated; default `r2`). A name without its binding fails loudly. */
export function archiveSinks(env: Env): ArchiveSink[] {
  const names = (env.TP_ARCHIVE_SINK ?? 'r2').split(',').map((s) => s.trim()).filter(Boolean);
  return names.map((name) => {
    if (name === 'r2') return r2Sink(env.ARCHIVE);
    if (name === 'pipelines') {
      if (!env.ARCHIVE_STREAM) throw new Error('TP_ARCHIVE_SINK names "pipelines" but the ARCHIVE_STREAM binding is missing: see wrangler.toml');
      return pipelinesSink(env.ARCHIVE_STREAM);
    }
    throw new Error(`TP_ARCHIVE_SINK: unknown sink "${name}" (r2, pipelines)`);
  });
}

/** Whether the R2 Parquet archive is written, i.e. whether reading it back (exports, profiles) finds every event. */
export const r2ArchiveOn = (env: Env): boolean => (env.TP_ARCHIVE_SINK ?? 'r2').split(',').some((s) => s.trim() === 'r2');

/** The consumer's entry point: every configured sink, concurrently; any failure retries the messages (idempotent). */
export async function archiveEvents(env: Env, rows: readonly EventRow[], batch: string): Promise<void> {
  if (rows.length === 0) return;
  await Promise.all(archiveSinks(env).map((s) => s.write(rows, batch)));
}
