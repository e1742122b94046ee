// Starts the collector locally (workerd via wrangler) with migrations applied to a persisted local
// D1: used by `npm start`, the browser tests and the benchmarks. Always call stop() on what you start.
// wrangler.toml describes the deployable Worker; what only local development has (dev keys, demo site and routes)
// is added here, from scripts/dev-defaults.mjs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { unstable_startWorker } from 'wrangler';
import { checkConfig } from './check-config.mjs';
import { DEV_ASSETS, DEV_DEFINE, DEV_VARS } from './dev-defaults.mjs';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
export const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
export const CONFIG_FILE = 'wrangler.toml';
const wranglerBin = path.join(root, 'node_modules/wrangler/bin/wrangler.js');

/** Applies worker/migrations to the local D1 stored under `persistTo`. */
export function migrate(persistTo) {
  const r = spawnSync(process.execPath, [wranglerBin, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo, '--config', path.join(root, CONFIG_FILE)], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  if (r.status !== 0) throw new Error(`migrations failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Runs the SQL text against the local D1 stored under `persistTo` (through a temporary file: `wrangler d1 execute --file`
 * takes statements of any size). Used by the sample data and the benchmarks' bulk loads.
 */
export function executeSql(persistTo, sql, what = 'SQL') {
  mkdirSync(persistTo, { recursive: true });
  const file = path.join(persistTo, `execute-${process.pid}.sql`);
  writeFileSync(file, sql);
  try {
    const r = spawnSync(process.execPath, [wranglerBin, 'd1', 'execute', 'DB', '--local', '--persist-to', persistTo, '--file', file], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}\n${r.stderr}`);
  } finally {
    rmSync(file, { force: true });
  }
}

/** Thrown by startCollector when config/sites.json is invalid; the message names every bad key. */
export class ConfigInvalidError extends Error {
  name = 'ConfigInvalidError';
}

/**
 * @param {{ port?: number, persistTo?: string, logLevel?: string, config?: string, entrypoint?: string,
 *   vars?: Record<string, string>, log?: (step: string) => void, seed?: boolean }} [opts]
 *   `entrypoint` replaces the config's `main` (the ingest benchmark's enqueue-only floor uses it); `vars` are the
 *   Worker's secrets and variables (default: the local development defaults); `log` hears each step as it starts;
 *   `seed` fills a fresh local D1 with the demo's sample data once (scripts/seed.mjs; `npm start` and the README test).
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startCollector({ port = 8787, persistTo = path.join(root, '.wrangler/state'), logLevel = 'warn', config = CONFIG_FILE, entrypoint, vars = DEV_VARS, log = () => {}, seed = false } = {}) {
  // Checked here, before the migrations: a Worker whose module throws at start-up leaves every request hanging.
  log('checking config/sites.json…');
  const errors = await checkConfig(path.join(root, 'config/sites.json'));
  if (errors.length) throw new ConfigInvalidError(`Invalid config/sites.json:\n  ${errors.join('\n  ')}`);
  log('applying migrations…');
  migrate(persistTo);
  if (seed) (await import('./seed.mjs')).seedOnce(persistTo, log);
  log('starting collector…');
  const worker = await unstable_startWorker({
    config: path.join(root, config),
    ...(entrypoint ? { entrypoint: path.join(root, entrypoint) } : {}),
    bindings: Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text', value }])),
    // The [build] command would check the config a second time.
    build: { define: DEV_DEFINE, custom: { command: '' } },
    assets: path.join(root, DEV_ASSETS),
    dev: { server: { hostname: '127.0.0.1', port }, persist: persistTo, inspector: false, watch: false, logLevel },
  });
  await worker.ready;
  const url = (await worker.url).origin;
  return { url, stop: () => worker.dispose() };
}
