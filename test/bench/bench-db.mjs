// The benchmarks' databases: a local D1, migrated, loaded once with synthetic events generated inside SQLite.
// BENCH_STATE=dir keeps the loaded database there and reuses it on the next run (its events age: reload after a day);
// without it the database lives in a temporary directory that cleanup() removes.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { executeSql, migrate } from '../../scripts/collector.mjs';

/** @param {string} prefix temporary directory prefix @param {number} events what `sql` loads @param {string} sql */
export function benchDatabase(prefix, events, sql) {
  const dir = process.env.BENCH_STATE ? path.resolve(process.env.BENCH_STATE) : mkdtempSync(path.join(tmpdir(), prefix));
  const state = path.join(dir, 'state');
  const cleanup = () => {
    if (!process.env.BENCH_STATE) rmSync(dir, { recursive: true, force: true });
  };
  try {
    migrate(state);
    const loaded = path.join(dir, `loaded-${events}`);
    if (!existsSync(loaded)) {
      const t0 = performance.now();
      executeSql(state, sql, 'load');
      console.log(`Loaded ${events.toLocaleString('en')} events over 30 days in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      writeFileSync(loaded, '');
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  return { state, cleanup };
}
