/**
 * Many rows in one statement: the rows travel as a single JSON parameter and SQLite's `json_each`
 * unpacks them. D1 caps bound parameters at 100 per statement, so classic multi-row VALUES would
 * fit two or three event rows; this fits hundreds, and local D1 does ~200 statements/s.
 */
const MAX_PARAM_BYTES = 512 * 1024;

export function jsonInsert<Row extends object>(
  db: D1Database,
  table: string,
  columns: readonly (keyof Row & string)[],
  rows: Row[],
  {
    verb = 'INSERT OR IGNORE',
    suffix = '',
    exprs = {},
  }: { verb?: string; suffix?: string; exprs?: Partial<Record<keyof Row & string, string>> } = {},
): D1PreparedStatement[] {
  // `exprs` computes a column in SQL instead of taking the row's value (`$.col` reads the row).
  const value = (c: keyof Row & string) => exprs[c]?.replace(/\$\.(\w+)/g, "json_extract(value, '$.$1')") ?? `json_extract(value, '$.${c}')`;
  const sql = `${verb} INTO ${table} (${columns.join(', ')}) SELECT ${columns.map(value).join(', ')} FROM json_each(?1) WHERE true ${suffix}`;
  const statements: D1PreparedStatement[] = [];
  let chunk: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (chunk.length) statements.push(db.prepare(sql).bind(`[${chunk.join(',')}]`));
    chunk = [];
    bytes = 0;
  };
  for (const row of rows) {
    const json = JSON.stringify(row);
    if (bytes + json.length > MAX_PARAM_BYTES) flush();
    chunk.push(json);
    bytes += json.length + 1;
  }
  flush();
  return statements;
}
