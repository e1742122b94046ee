// `npm start`: the collector on http://127.0.0.1:8787 (PORT overrides) with local D1/Queues/R2,
// and the demo site at /demo/. Stops cleanly on Ctrl-C. An invalid config/sites.json stops it at once
// (exit 1) with every bad key named. TP_ADMIN_KEY, TP_CONSENT_KEY, TP_DEMO_IDENTITY_SECRET and
// TP_DEMO_WRITE_KEY in the environment replace the local development defaults.
import { ConfigInvalidError, startCollector } from './collector.mjs';
import { DEV_VARS } from './dev-defaults.mjs';

const port = Number(process.env.PORT ?? 8787);
const vars = Object.fromEntries(Object.entries(DEV_VARS).map(([name, value]) => [name, process.env[name] || value]));
const t0 = performance.now();
const step = (what) => console.log(`${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

let collector;
try {
  // 'log', not 'info': the Worker's console.log lines ("ingest filtered" with its reasons, refusals) are wrangler's log level.
  collector = await startCollector({ port, logLevel: 'log', vars, log: step, seed: true });
} catch (e) {
  console.error(e instanceof ConfigInvalidError ? e.message : e);
  process.exit(1);
}
console.log(`
Touchpoint collector  ${collector.url}
Demo site             ${collector.url}/demo/
Snippet               ${collector.url}/tp.js
Admin API key         ${vars.TP_ADMIN_KEY} (TP_ADMIN_KEY)

config/sites.json is read at start: restart npm start after changing it. Local data: .wrangler/state (delete it to reset).
`);
const stop = async () => {
  await collector.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
