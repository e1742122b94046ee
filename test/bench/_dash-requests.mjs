import { chromium } from 'playwright-core';
import { startCollector } from '../../scripts/collector.mjs';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const collector = await startCollector({ port: 8843, persistTo: '/tmp/bds/state', logLevel: 'error' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', `--user-agent=${UA}`] });
try {
  const context = await browser.newContext({ userAgent: UA });
  const funnel = encodeURIComponent(JSON.stringify([{ event: 'pageview', page: '/p1' }, { event: 'pageview', page: '/p2' }, { event: 'signup' }]));
  const url = `${collector.url}/dashboard/?site=demo&range=30d&funnel=${funnel}`;
  const p = await context.newPage();
  await p.goto(url);
  await p.getByLabel('API key').fill('dev-admin-key');
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('button', { name: 'Sign out' }).waitFor();
  const reqs = [];
  p.on('request', (r) => r.url().includes('/api/v1/') && reqs.push([r.method(), new URL(r.url()).pathname + new URL(r.url()).search, r.postData()]));
  await p.reload();
  await p.waitForTimeout(6000);
  const headers = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
  let total = 0;
  for (const [m, path, body] of reqs) {
    const ts = [];
    for (let i = 0; i < 5; i++) { const t = performance.now(); const r = await fetch(collector.url + path, { method: m, headers, body: body ?? undefined }); await r.arrayBuffer(); ts.push(performance.now() - t); }
    ts.sort((a, b) => a - b); total += ts[2];
    console.log(`${ts[2].toFixed(0).padStart(5)} ms  ${m} ${path} ${body ?? ''}`.slice(0, 260));
  }
  console.log('sum of p50s', total.toFixed(0));
} finally { await browser.close(); await collector.stop(); }
