// `npm run size`: the gzip size of everything Touchpoint loads on a first page view (tp.js with its
// CSS, plus the config answer for the demo site), next to the published alternatives measured the
// same way from node_modules. Fails when Touchpoint is over budget. Run after `npm run build`.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGET = 6144;
const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const gz = (b) => gzipSync(b, { level: 9 }).length;
const file = (p) => readFile(path.join(root, p));

/** The real config answers, computed by the worker's own code (bundled for Node). */
async function configAnswers(site, lang) {
  const dir = await mkdtemp(path.join(tmpdir(), 'tp-size-'));
  try {
    const out = path.join(dir, 'config.mjs');
    await build({
      stdin: { contents: `export { siteConfigAnswer, panelConfigAnswer } from './worker/src/routes/browser/site-config';\nexport { getSite } from './worker/src/config/sites';`, resolveDir: root, loader: 'ts' },
      bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error', define: { __TP_DEV__: 'false' },
    });
    const m = await import(pathToFileURL(out).href);
    const s = m.getSite(site);
    return { first: JSON.stringify(m.siteConfigAnswer(s, lang)), panel: JSON.stringify(m.panelConfigAnswer(s, lang)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const js = await file('snippet/dist/tp.js');
const panelJs = await file('snippet/dist/tp-panel.js');
const cfg = await configAnswers('demo', 'en');
const rows = [
  ['tp.js (JS + banner CSS)', js.length, gz(js)],
  ['config answer (demo, en)', cfg.first.length, gz(cfg.first)],
];
const total = rows.reduce((a, r) => a + r[2], 0);
const others = [
  ['vanilla-cookieconsent@3.1.0 (js+css)', ['node_modules/vanilla-cookieconsent/dist/cookieconsent.umd.js', 'node_modules/vanilla-cookieconsent/dist/cookieconsent.css']],
  ['@plausible-analytics/tracker', ['node_modules/@plausible-analytics/tracker/plausible.js']],
  ['posthog-js (dist/array.js)', ['node_modules/posthog-js/dist/array.js']],
];

const pad = (s, n) => String(s).padStart(n);
console.log(`${'what'.padEnd(44)}${pad('bytes', 9)}${pad('gzip', 9)}`);
for (const [n, b, g] of rows) console.log(`${n.padEnd(44)}${pad(b, 9)}${pad(g, 9)}`);
console.log(`${'Touchpoint, first page view'.padEnd(44)}${pad('', 9)}${pad(total, 9)}  (budget ${BUDGET})`);
console.log(`${'  on opening Preferences: tp-panel.js'.padEnd(44)}${pad(panelJs.length, 9)}${pad(gz(panelJs), 9)}`);
console.log(`${'  on opening Preferences: dialog texts'.padEnd(44)}${pad(cfg.panel.length, 9)}${pad(gz(cfg.panel), 9)}`);
for (const [n, files] of others) {
  const bufs = await Promise.all(files.map(file));
  console.log(`${n.padEnd(44)}${pad(bufs.reduce((a, b) => a + b.length, 0), 9)}${pad(bufs.reduce((a, b) => a + gz(b), 0), 9)}`);
}
// The marketer dashboard's first load: its page, script and stylesheet (uPlot included), as the Worker serves them.
const DASHBOARD_BUDGET = 60 * 1024;
const dashboard = await Promise.all((await readdir(path.join(root, 'dashboard/dist'))).map((f) => file(`dashboard/dist/${f}`)));
const dashboardGz = dashboard.reduce((a, b) => a + gz(b), 0);
console.log(`${'dashboard (HTML + JS + CSS, uPlot included)'.padEnd(44)}${pad(dashboard.reduce((a, b) => a + b.length, 0), 9)}${pad(dashboardGz, 9)}  (budget ${DASHBOARD_BUDGET})`);
if (dashboardGz > DASHBOARD_BUDGET) {
  console.error(`\nThe dashboard's first load is ${dashboardGz} bytes gzip: ${dashboardGz - DASHBOARD_BUDGET} over the ${DASHBOARD_BUDGET}-byte budget.`);
  process.exitCode = 1;
}
if (total > BUDGET) {
  console.error(`\nTouchpoint's first page view is ${total} bytes gzip: ${total - BUDGET} over the ${BUDGET}-byte budget.`);
  process.exit(1);
}
