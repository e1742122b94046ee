import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// An invalid config/sites.json must stop `npm start` and `wrangler deploy` at once, naming the bad key, instead of
// starting a Worker that throws at start-up (every request then hangs). The real config stays untouched (other tests
// read it): the checks run in a copy of the project whose config/sites.json is bad.
const root = path.resolve(import.meta.dirname, '../..');
const cliEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
const dir = mkdtempSync(path.join(tmpdir(), 'tp-config-'));
const project = path.join(dir, 'project');
const BAD_KEY = /sites\.demo\.bots: .*"drop"\|"flag"/;

function run(cmd: string[], cwd: string, timeoutMs = 20_000): Promise<{ code: number | null; output: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cmd, { cwd, env: { ...cliEnv, PORT: '8899' }, detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    // A start that does not stop is the bug under test: end it (and its children) rather than hang the suite.
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: performance.now() - t0 });
    });
  });
}

beforeAll(() => {
  const config = JSON.parse(readFileSync(path.join(root, 'config/sites.json'), 'utf8'));
  config.sites.demo.bots = 'block';
  mkdirSync(path.join(project, 'config'), { recursive: true });
  writeFileSync(path.join(project, 'config/sites.json'), JSON.stringify(config, null, 2));
  writeFileSync(path.join(dir, 'bad-sites.json'), JSON.stringify(config));
  // Scripts and wrangler.toml are copied (they locate the project from their own path); the rest is linked.
  cpSync(path.join(root, 'scripts'), path.join(project, 'scripts'), { recursive: true });
  cpSync(path.join(root, 'wrangler.toml'), path.join(project, 'wrangler.toml'));
  for (const d of ['node_modules', 'worker', 'shared', 'public', 'snippet']) symlinkSync(path.join(root, d), path.join(project, d));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an invalid config/sites.json', () => {
  it('fails the check script, naming the key', async () => {
    const r = await run([path.join(root, 'scripts/check-config.mjs'), path.join(dir, 'bad-sites.json')], root);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(BAD_KEY);
    expect(r.ms).toBeLessThan(3_000);
    const ok = await run([path.join(root, 'scripts/check-config.mjs')], root);
    expect(ok.code, ok.output).toBe(0);
  });

  it('stops npm start at once, before migrations', async () => {
    const r = await run([path.join(project, 'scripts/start.mjs')], project);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(BAD_KEY);
    expect(r.output).not.toContain('applying migrations');
    expect(r.ms).toBeLessThan(5_000);
    expect(existsSync(path.join(project, '.wrangler/state'))).toBe(false);
  });

  it('fails wrangler deploy --dry-run before bundling', async () => {
    const outdir = path.join(dir, 'out');
    const r = await run([path.join(root, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir], project);
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toMatch(BAD_KEY);
    expect(r.output).toContain('Running custom build `node scripts/check-config.mjs` failed');
    expect(existsSync(path.join(outdir, 'index.js'))).toBe(false);
  });
});
