// Starts the collector locally (workerd via wrangler) with migrations applied to a persisted local
// D1: used by `npm start`, the browser tests and the benchmarks. Always call stop() on what you start.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { unstable_startWorker } from 'wrangler';

process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
export const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const wranglerBin = path.join(root, 'node_modules/wrangler/bin/wrangler.js');

/** Applies worker/migrations to the local D1 stored under `persistTo`. */
export function migrate(persistTo) {
  const r = spawnSync(process.execPath, [wranglerBin, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  if (r.status !== 0) throw new Error(`migrations failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * @param {{ port?: number, persistTo?: string, logLevel?: string, config?: string, entrypoint?: string }} [opts]
 *   `entrypoint` replaces the config's `main` (the ingest benchmark's enqueue-only floor uses it).
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startCollector({ port = 8787, persistTo = path.join(root, '.wrangler/state'), logLevel = 'warn', config = 'wrangler.jsonc', entrypoint } = {}) {
  migrate(persistTo);
  const worker = await unstable_startWorker({
    config: path.join(root, config),
    ...(entrypoint ? { entrypoint: path.join(root, entrypoint) } : {}),
    dev: { server: { hostname: '127.0.0.1', port }, persist: persistTo, inspector: false, watch: false, logLevel },
  });
  await worker.ready;
  const url = (await worker.url).origin;
  return { url, stop: () => worker.dispose() };
}
