import { env } from 'cloudflare:test';
import { parseKey } from '../src/storage/archive';
import { readLegacyText } from '../src/storage/archive-legacy';
import { bufferFile, decodeParquet, type ArchivedEvent } from '../src/storage/parquet';

/** The rows of one archive object: Parquet read back with hyparquet, or the lines of an old NDJSON object. */
export async function archiveRows(key: string): Promise<ArchivedEvent[]> {
  const obj = await env.ARCHIVE.get(key);
  if (!obj) return [];
  if (parseKey(key)) return decodeParquet(bufferFile(await obj.arrayBuffer()));
  return (await readLegacyText(key, obj)).split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Every object under `prefix` with its rows. */
export async function archiveObjects(prefix = 'events/'): Promise<{ key: string; rows: ArchivedEvent[] }[]> {
  const out: { key: string; rows: ArchivedEvent[] }[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.ARCHIVE.list({ prefix, cursor });
    cursor = page.truncated ? page.cursor : undefined;
    for (const o of page.objects) out.push({ key: o.key, rows: await archiveRows(o.key) });
  } while (cursor);
  return out;
}

/** `target` (a binding) with some methods replaced and the others its own: a bucket or database that fails or races on cue. */
export function withMethods<T extends object>(target: T, methods: { [K in keyof T]?: unknown }): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(methods, prop)) return (methods as Record<PropertyKey, unknown>)[prop];
      const v = Reflect.get(t, prop, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}
