/**
 * Many rows in one statement: the rows travel as a single JSON parameter (an array of arrays, in
 * column order) and SQLite's `json_each` unpacks them. D1 caps bound parameters at 100 per statement,
 * so classic multi-row VALUES would fit two or three event rows; this fits hundreds, and local D1
 * does ~200 statements/s.
 *
 * Each row is converted to JSONB once (the MATERIALIZED CTE) and its columns are read by position:
 * `json_extract(value, '$.col')` on object text re-parses the row for every column, which made the
 * insert of 1,000 events 52 ms locally; this form takes 15 ms (see docs/ARCHITECTURE.md, "Ingest cost").
 */
const MAX_PARAM_BYTES = 512 * 1024;

export interface JsonInsertOptions<Row> {
  /** computes a column in SQL instead of taking the row's value (`$.name` reads the row's value of `name`) */
  exprs?: Partial<Record<keyof Row & string, string>>;
  /** values that travel with each row without being inserted (read as `$.name` in `exprs` and `where`) */
  extra?: { names: readonly string[]; values: (row: Row) => unknown[] };
  /** rows that don't satisfy it are not inserted (`$.name` as in `exprs`) */
  where?: string;
}

export function jsonInsert<Row extends object>(
  db: D1Database,
  table: string,
  columns: readonly (keyof Row & string)[],
  rows: Row[],
  { exprs = {}, extra, where }: JsonInsertOptions<Row> = {},
): D1PreparedStatement[] {
  const names: readonly string[] = [...columns, ...(extra?.names ?? [])];
  const at = (c: string) => {
    const i = names.indexOf(c);
    if (i < 0) throw new Error(`jsonInsert: ${c} is not a column of ${table}`);
    return `j ->> ${i}`;
  };
  const sub = (sql: string) => sql.replace(/\$\.(\w+)/g, (_, name: string) => at(name));
  const value = (c: keyof Row & string) => (exprs[c] === undefined ? at(c) : sub(exprs[c]!));
  const sql =
    `WITH r AS MATERIALIZED (SELECT jsonb(value) AS j FROM json_each(?1)) ` +
    `INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) SELECT ${columns.map(value).join(', ')} FROM r` +
    (where ? ` WHERE ${sub(where)}` : '');
  const statements: D1PreparedStatement[] = [];
  let chunk: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (chunk.length) statements.push(db.prepare(sql).bind(`[${chunk.join(',')}]`));
    chunk = [];
    bytes = 0;
  };
  for (const row of rows) {
    const json = JSON.stringify([...columns.map((c) => row[c]), ...(extra?.values(row) ?? [])]);
    if (bytes + json.length > MAX_PARAM_BYTES) flush();
    chunk.push(json);
    bytes += json.length + 1;
  }
  flush();
  return statements;
}
