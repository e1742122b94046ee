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

/**
 * Locally the Worker may restart after the bulk catch-up's one huge transaction: a request meanwhile answers 503 ("restarted
 * mid-request") or, a GET that wrangler's proxy retries, waits until it is abandoned. Asks `ask(signal)` (each at most 10 s)
 * until it answers, so that no measured run pays for the restart; the seconds it took.
 * @param {(signal: AbortSignal) => Promise<Response>} ask @param {string} what
 */
export async function untilAnswered(ask, what) {
  const t0 = performance.now();
  for (let i = 0; ; i++) {
    const res = await ask(AbortSignal.timeout(10_000)).catch(() => null);
    const text = res ? await res.text().catch(() => '') : 'no answer';
    if (res?.ok) return (performance.now() - t0) / 1000;
    if (i === 0) console.log(`${what}: ${res ? res.status : ''} ${text.slice(0, 120)} (asked again until it answers)`);
    if (i > 120) throw new Error(`${what}: ${res?.status ?? 'no answer'} ${text}`);
    await new Promise((done) => setTimeout(done, 1000));
  }
}
