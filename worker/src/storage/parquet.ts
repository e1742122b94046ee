import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData, type ParquetQueryFilter } from 'hyparquet';
import { parquetWriteBuffer, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import type { EventRow } from './messages';

/**
 * One archived event: the events export's fields (the `events` table without `seq` and `visitor_hash`), kept in
 * D1's own representation in memory (flags 0/1, `props` as JSON text) so that D1 rows, export rows and archive rows
 * are the same object shape. Only the file is typed: see ARCHIVE_SCHEMA.
 */
export type ArchivedEvent = Omit<EventRow, 'visitor_hash'>;

type Kind = 'string' | 'flag' | 'timestamp' | 'int64' | 'json';

/**
 * The Parquet columns, in the export's order. Required where D1 says NOT NULL. Flags are BOOLEAN (`WHERE bot` reads
 * as meant in every engine), times are INT64 TIMESTAMP(MILLIS, UTC), revenue INT64 minor units (exact, as in D1),
 * props JSON. docs/storage-schema.md, "R2", lists the same table for humans.
 */
export const ARCHIVE_COLUMNS = [
  ['site_id', 'string', true], ['id', 'string', true], ['name', 'string', true], ['custom', 'flag', true],
  ['category', 'string', true], ['ts', 'timestamp', true], ['received_at', 'timestamp', true], ['anon_id', 'string', false],
  ['user_id', 'string', false], ['session_id', 'string', false], ['pageview_id', 'string', false], ['url', 'string', true],
  ['path', 'string', true], ['referrer', 'string', false], ['ref_host', 'string', false], ['source', 'string', false],
  ['medium', 'string', false], ['utm_source', 'string', false], ['utm_medium', 'string', false], ['utm_campaign', 'string', false],
  ['utm_term', 'string', false], ['utm_content', 'string', false], ['click_id', 'string', false], ['country', 'string', false],
  ['region', 'string', false], ['city', 'string', false], ['timezone', 'string', false], ['browser', 'string', false],
  ['os', 'string', false], ['device', 'string', false], ['bot', 'flag', true], ['cookieless', 'flag', true],
  ['consent', 'string', true], ['props', 'json', false], ['sent_from', 'string', true], ['revenue', 'int64', false],
  ['currency', 'string', false],
] as const satisfies readonly (readonly [keyof ArchivedEvent, Kind, boolean])[];

export type ArchiveColumn = (typeof ARCHIVE_COLUMNS)[number][0];

function element(name: string, kind: Kind, required: boolean): SchemaElement {
  const repetition_type = required ? 'REQUIRED' : 'OPTIONAL';
  switch (kind) {
    case 'string':
      return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type };
    case 'flag':
      return { name, type: 'BOOLEAN', repetition_type };
    case 'timestamp':
      // The legacy converted type as well: older readers (and DuckDB's JSON-free paths) still look at it.
      return { name, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' }, repetition_type };
    case 'int64':
      return { name, type: 'INT64', repetition_type };
    case 'json':
      // DuckDB types a column JSON only from the converted type; the logical type is for Spark and Arrow.
      return { name, type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' }, repetition_type };
  }
}

const SCHEMA: SchemaElement[] = [{ name: 'schema', num_children: ARCHIVE_COLUMNS.length }, ...ARCHIVE_COLUMNS.map(([n, k, r]) => element(n, k, r))];

/** Values as the writer wants them: booleans, BigInt for plain INT64, parsed JSON (the writer serializes it). */
const toFile: Record<Kind, (v: unknown) => unknown> = {
  string: (v) => (v === undefined ? null : v),
  flag: (v) => v === 1 || v === true,
  timestamp: (v) => (v === null || v === undefined ? null : BigInt(v as number)),
  int64: (v) => (v === null || v === undefined ? null : BigInt(v as number)),
  json: (v) => (typeof v === 'string' ? JSON.parse(v) : (v ?? null)),
};

export interface EncodeOptions {
  /**
   * A compacted file, kept for months: min/max statistics on every column (engines skip row groups by them) and split
   * block bloom filters on anon_id and user_id (erasure skips row groups, and whole files, without the subject). A
   * consumer part lives until the next compaction: it keeps statistics on the times only, which halves the encoder's
   * fixed cost per file (the footer's Thrift, ~37 columns) — see test/bench/parquet.mjs.
   */
  compacted?: boolean;
  rowGroupSize?: number;
}

/**
 * Rows → one Parquet file (snappy, the pure-JS codec hyparquet-writer ships: no wasm in the Worker). Timestamps are
 * delta-encoded: they rise within a batch, so deltas pack into a few bits where PLAIN would spend 8 bytes a row.
 */
export function encodeParquet(rows: readonly ArchivedEvent[], { compacted = false, rowGroupSize = 100_000 }: EncodeOptions = {}): ArrayBuffer {
  const columnData: ColumnSource[] = ARCHIVE_COLUMNS.map(([name, kind]) => {
    const convert = toFile[kind];
    const data = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) data[i] = convert((rows[i] as Record<string, unknown>)[name]);
    return {
      name,
      data,
      ...(kind === 'timestamp' ? { encoding: 'DELTA_BINARY_PACKED' as const } : {}),
      // JSON bounds are whole documents (never truncated): worthless for pruning, costly in the footer.
      statistics: kind === 'timestamp' || (compacted && kind !== 'json'),
      ...(compacted && (name === 'anon_id' || name === 'user_id') ? { bloomFilter: { fpp: 0.01, maxBytes: 64 * 1024 } } : {}),
    };
  });
  return parquetWriteBuffer({ columnData, schema: SCHEMA, rowGroupSize, createdBy: 'touchpoint archive' });
}

const decoder = new TextDecoder();
/** Parsers that give D1's representation back: epoch ms numbers, JSON kept as its text. */
const PARSERS = {
  timestampFromMilliseconds: (ms: bigint) => Number(ms),
  jsonFromBytes: (bytes: Uint8Array) => (bytes ? decoder.decode(bytes) : null),
};

/** A Parquet file in memory as hyparquet's file-like object. */
export const bufferFile = (buf: ArrayBuffer): AsyncBuffer => ({ byteLength: buf.byteLength, slice: (s, e) => buf.slice(s, e) });

export interface ReadOptions {
  columns?: ArchiveColumn[];
  /** Rows to return (hyparquet's query filter); with `bloom`, row groups whose bloom filters exclude it are not read. */
  filter?: ParquetQueryFilter;
  metadata?: FileMetaData;
}

/** A file's footer. 64 KiB covers any archive file's (hyparquet's default, 512 KiB, would read that much of every large one). */
export const fileMetadata = (file: AsyncBuffer): Promise<FileMetaData> => parquetMetadataAsync(file, { initialFetchSize: 64 * 1024 });

/** A file's rows (all columns unless `columns`), in D1's representation. Columns the file lacks come back null. */
export async function decodeParquet(file: AsyncBuffer, { columns, filter, metadata }: ReadOptions = {}): Promise<ArchivedEvent[]> {
  const meta = metadata ?? (await fileMetadata(file));
  const present = new Set(meta.schema.map((s) => s.name));
  const wanted = (columns ?? ARCHIVE_COLUMNS.map(([n]) => n)).filter((c) => present.has(c));
  const rows = await parquetReadObjects({ file, metadata: meta, columns: wanted, parsers: PARSERS, ...(filter ? { filter, useBloomFilters: true } : {}) });
  const flags = ARCHIVE_COLUMNS.filter(([n, k]) => k === 'flag' && wanted.includes(n)).map(([n]) => n);
  const int64 = wanted.includes('revenue');
  for (const r of rows as Record<string, unknown>[]) {
    for (const f of flags) r[f] = r[f] ? 1 : 0;
    if (int64 && typeof r.revenue === 'bigint') r.revenue = Number(r.revenue);
  }
  return rows as ArchivedEvent[];
}

/** The archive's columns of an event row (drops `visitor_hash`, which the export never shows). */
export function toArchived(row: EventRow | Record<string, unknown>): ArchivedEvent {
  const out: Record<string, unknown> = {};
  for (const [name] of ARCHIVE_COLUMNS) out[name] = (row as Record<string, unknown>)[name] ?? null;
  return out as ArchivedEvent;
}
