import type { AsyncBuffer } from 'hyparquet';
import { bufferFile } from './parquet';

declare global {
  /** Honoured by R2 at run time (objects then carry their custom metadata), missing from this version of the types. */
  interface R2ListOptions {
    include?: ('httpMetadata' | 'customMetadata')[];
  }
}

/** Objects up to this size are read in one GET; bigger ones by ranges (footer, then only the column chunks needed). */
const WHOLE_READ_BYTES = 2 * 1024 * 1024;

/** The object changed (or went away) between the listing that named it and a read: the caller reads again. */
export class ObjectChanged extends Error {
  override name = 'ObjectChanged';
}

/**
 * An object under the archive's keys that isn't a Parquet file we can read (truncated, written by another tool, damaged).
 * Readers skip it and say so — erasure in its report, compaction in the log — rather than failing every other object.
 */
export class UnreadableObject extends Error {
  override name = 'UnreadableObject';
  constructor(readonly key: string, cause: unknown) {
    super(`archive object ${key} is not a readable Parquet file: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * R2 failed to serve an object, or a range of one being decoded (a transient error, a limit): the object may be fine, so
 * this is never taken for an unreadable one — the caller tries again or fails, to be retried.
 */
export class ReadFailed extends Error {
  override name = 'ReadFailed';
  constructor(readonly key: string, cause: unknown) {
    super(`reading archive object ${key} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * Runs `parse` on an opened object: a failure of the decoder itself means the object is unreadable; the object changing
 * meanwhile or R2 failing to serve a range (ReadFailed) are rethrown as they are.
 */
export async function parsing<T>(key: string, parse: () => Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (err) {
    if (err instanceof ObjectChanged || err instanceof ReadFailed) throw err;
    throw new UnreadableObject(key, err);
  }
}

/**
 * A Parquet object of R2 as hyparquet's file-like object, pinned to the version `obj` describes: every ranged read
 * carries `etagMatches`, so a file rewritten meanwhile (by an erasure, a compaction) throws ObjectChanged instead of
 * mixing bytes of two versions; R2 failing to serve a read throws ReadFailed. Returns null when the object is gone.
 */
export async function openParquet(bucket: R2Bucket, obj: { key: string; size: number; etag: string }): Promise<AsyncBuffer | null> {
  const read = <T>(io: () => Promise<T>): Promise<T> =>
    io().catch((err: unknown) => {
      throw new ReadFailed(obj.key, err);
    });
  if (obj.size <= WHOLE_READ_BYTES) {
    const body = await read(() => bucket.get(obj.key, { onlyIf: { etagMatches: obj.etag } }));
    if (!body) return null;
    if (!('body' in body)) throw new ObjectChanged(obj.key);
    return bufferFile(await read(() => body.arrayBuffer()));
  }
  return {
    byteLength: obj.size,
    async slice(start: number, end = obj.size) {
      const part = await read(() => bucket.get(obj.key, { range: { offset: start, length: end - start }, onlyIf: { etagMatches: obj.etag } }));
      if (!part || !('body' in part)) throw new ObjectChanged(obj.key);
      return read(() => part.arrayBuffer());
    },
  };
}

/** Every object under `prefix`, page by page (R2 lists at most 1,000 keys a call), with its custom metadata. */
export async function* listAll(bucket: R2Bucket, prefix: string): AsyncGenerator<R2Object> {
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, include: ['customMetadata'] });
    cursor = page.truncated ? page.cursor : undefined;
    yield* page.objects;
  } while (cursor);
}

/** The day partitions (`…/date=YYYY-MM-DD/`) under a site's prefix, without listing their objects. */
export async function listDates(bucket: R2Bucket, prefix: string): Promise<string[]> {
  const dates: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, delimiter: '/', cursor });
    cursor = page.truncated ? page.cursor : undefined;
    for (const p of page.delimitedPrefixes) {
      const m = /date=(\d{4}-\d{2}-\d{2})\/$/.exec(p);
      if (m) dates.push(m[1]!);
    }
  } while (cursor);
  return dates.sort();
}

/** Rows an object holds, from its metadata (written with every object); null for an object without it. */
export const rowsOf = (obj: R2Object): number | null => {
  const n = Number(obj.customMetadata?.rows);
  return Number.isFinite(n) && obj.customMetadata?.rows !== undefined ? n : null;
};

/** Deletes `keys`, 1,000 at a time: R2 takes at most that many keys in one delete. */
export async function deleteKeys(bucket: R2Bucket, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}
