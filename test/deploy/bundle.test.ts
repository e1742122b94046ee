import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_readConfig, unstable_startWorker } from 'wrangler';
import { DEV_VARS } from '../../scripts/dev-defaults.mjs';

// What `wrangler deploy` would ship, built from wrangler.toml alone (CONTRACT §4): no default secret and no demo,
// with or without `--env production`. The dev defaults exist only where npm start and the tests put them.
const root = path.resolve(import.meta.dirname, '../..');
const wranglerBin = path.join(root, 'node_modules/wrangler/bin/wrangler.js');
const cliEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
const dir = mkdtempSync(path.join(tmpdir(), 'tp-deploy-'));

function wrangler(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerBin, ...args], { cwd: root, env: cliEnv });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Strings that only the local development build may contain. */
const FORBIDDEN = [
  ...Object.values(DEV_VARS), // dev-admin-key, dev-consent-key-…, dev-identity-secret, dev-write-key
  'dev-consent-key',
  '/demo/api/login', // the demo shop's login (worker/src/routes/dev/demo.ts)
  'demoLogin',
  "'/demo/'", // the old `/` → `/demo/` redirect
  '"/demo/"',
  '__TP_DEV__', // the flag must be replaced at build time, never looked up at run time
  'localhost|127', // the local-origin rule of development
];

const builds = [
  { name: 'wrangler deploy', env: '' },
  { name: 'wrangler deploy --env production', env: 'production' },
] as const;
const results = new Map<string, { code: number | null; output: string; bundle: string }>();

beforeAll(async () => {
  // Both dry runs at once: each is ~2 s of bundling.
  await Promise.all(
    builds.map(async (b) => {
      const outdir = path.join(dir, b.env || 'top-level');
      const args = ['deploy', '--dry-run', '--outdir', outdir, ...(b.env ? ['--env', b.env] : [])];
      const { code, output } = await wrangler(args);
      let bundle = '';
      try {
        bundle = readFileSync(path.join(outdir, 'index.js'), 'utf8');
      } catch {
        // asserted below through the exit code and output
      }
      results.set(b.name, { code, output, bundle });
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(builds)('$name --dry-run', ({ name, env }) => {
  it('builds, validating config/sites.json first', () => {
    const r = results.get(name)!;
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('[custom build] Running: node scripts/check-config.mjs');
    // The right file: the collector itself, failing closed on a missing secret.
    expect(r.bundle).toContain('/v1/e');
    expect(r.bundle).toContain('missing secret ');
  });

  it('ships no default secret and no demo code', () => {
    const { bundle } = results.get(name)!;
    for (const s of FORBIDDEN) expect(bundle.includes(s), `bundle contains ${s}`).toBe(false);
  });

  it('configures no assets (the demo site) and no secret values', () => {
    const r = results.get(name)!;
    // wrangler lists what it would upload: an assets directory ("Read N files from the assets directory …") and an
    // ASSETS binding would show here, as would any variable.
    expect(r.output).not.toMatch(/assets/i);
    expect(r.output).not.toMatch(/Environment Variable|Secret/);
    const config = unstable_readConfig({ config: path.join(root, 'wrangler.toml'), env: env || undefined });
    expect(config.assets).toBeUndefined();
    expect(config.vars).toEqual({});
    expect(config.define).toEqual({ __TP_DEV__: 'false' });
  });
});

describe('the production build, running without secrets', () => {
  const state = path.join(dir, 'state');
  let worker: Awaited<ReturnType<typeof unstable_startWorker>> | undefined;
  let url = '';

  beforeAll(async () => {
    const migrated = await wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--env', 'production', '--persist-to', state]);
    expect(migrated.code, migrated.output).toBe(0);
    worker = await unstable_startWorker({
      config: path.join(root, 'wrangler.toml'),
      env: 'production',
      dev: { server: { hostname: '127.0.0.1', port: await freePort() }, persist: state, inspector: false, watch: false, logLevel: 'none' },
    });
    await worker.ready;
    url = (await worker.url).origin;
  });
  afterAll(async () => {
    await worker?.dispose();
  });

  it('has no demo: no pages, no login, no redirect from /', async () => {
    for (const [method, p] of [['GET', '/'], ['GET', '/demo/'], ['GET', '/demo/app/products/42'], ['POST', '/demo/api/login']] as const) {
      const res = await fetch(`${url}${p}`, { method, redirect: 'manual', ...(method === 'POST' && { body: '{"email":"a@b.example"}' }) });
      expect(res.status, `${method} ${p}`).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('serves the dashboard (compiled into the Worker, no assets) with a Secure, __Host- session cookie', async () => {
    const page = await fetch(`${url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Touchpoint</title>');
    const key = 'tp_deploy-test-key-0123456789abcdefghij';
    const hash = createHash('sha256').update(key).digest('hex');
    const inserted = await wrangler(['d1', 'execute', 'DB', '--local', '--env', 'production', '--persist-to', state, '--command',
      `INSERT INTO api_keys (key_hash, prefix, name, sites, created_at) VALUES ('${hash}', 'tp_deploy', 'deploy test', '["demo"]', ${Date.now()})`]);
    expect(inserted.code, inserted.output).toBe(0);
    const res = await fetch(`${url}/dashboard/api/session`, { method: 'POST', headers: { origin: url, 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^__Host-tp_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
  });

  it('accepts no default admin key and no local origin', async () => {
    const res = await fetch(`${url}/api/v1/events?site_id=demo`, { headers: { authorization: `Bearer ${DEV_VARS.TP_ADMIN_KEY}` } });
    expect(res.status).toBe(401);
    const pre = await fetch(`${url}/v1/e`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});
