import { ARCHIVE_COLUMNS, toArchived, type ArchivedEvent } from './parquet';

/**
 * The archive before Parquet: gzip NDJSON (`.ndjson.gz`, or plain `.ndjson` before compression) under
 * `events/<site>/<YYYY>/<MM>/<DD>/<HH>/<batch>…`, one object per consumer batch and receive hour, every `events`
 * column but `seq`. Nothing writes it any more; what exists stays readable — erasure still filters it, DSAR exports
 * still read it — until the compaction cron converts it to Parquet parts (archive/compact.ts) and deletes it.
 */
export const legacyPrefix = (site: string): string => `events/${site}/`;
const LEGACY_KEY = /^events\/([a-z0-9][a-z0-9_-]{0,62})\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/[^/]+\.ndjson(\.gz)?$/;

/** The site and receive hour (epoch ms of its start) a legacy key names, or null for anything else. */
export function parseLegacyKey(key: string): { site: string; hour: number } | null {
  const m = LEGACY_KEY.exec(key);
  return m ? { site: m[1]!, hour: Date.UTC(+m[2]!, +m[3]! - 1, +m[4]!, +m[5]!) } : null;
}

/** A legacy object's NDJSON text, whether it was stored compressed (`.gz`) or not. */
export async function readLegacyText(key: string, body: R2ObjectBody): Promise<string> {
  if (!key.endsWith('.gz')) return body.text();
  return new Response(body.body.pipeThrough(new DecompressionStream('gzip'))).text();
}

/** NDJSON text → the bytes a legacy object of that key stores (gzip for `.gz`). */
export async function packLegacy(key: string, ndjson: string): Promise<ArrayBuffer | string> {
  if (!key.endsWith('.gz')) return ndjson;
  return new Response(new Blob([ndjson]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
}

/** Defaults for columns a legacy line may lack (rows from before migration 0008 have no sent_from or revenue). */
const DEFAULTS: Partial<Record<keyof ArchivedEvent, unknown>> = {
  custom: 0, bot: 0, cookieless: 0, consent: '', url: '', path: '', category: 'analytics', name: 'unknown', sent_from: 'browser',
};

/** A legacy line as an archive row: the export's columns, D1's representation, required columns filled. */
export function legacyRow(line: Record<string, unknown>): ArchivedEvent {
  const row = toArchived(line) as unknown as Record<string, unknown>;
  for (const [name] of ARCHIVE_COLUMNS) if (row[name] === null && name in DEFAULTS) row[name] = DEFAULTS[name];
  if (typeof row.props !== 'string' && row.props !== null) row.props = JSON.stringify(row.props);
  if (typeof row.ts !== 'number') row.ts = typeof row.received_at === 'number' ? row.received_at : 0;
  if (typeof row.received_at !== 'number') row.received_at = row.ts;
  return row as unknown as ArchivedEvent;
}
