// `npm run key -- create --site demo [--site other] [--name reporting] [--remote [--env production]]`
// `npm run key -- create --site demo --name backend --write [--browser]`
// `npm run key -- list` · `npm run key -- revoke <prefix>`
// API keys for /api/v1/*, and write keys for the Segment-compatible /segment/v1/* (`--write`: one site each; `--browser`
// for analytics.js, whose key is public: events only). Each key is printed once; D1 keeps only its SHA-256 and scope.
// An API key can only read and a write key can only write: they live in different tables (api_keys, write_keys).
// Local by default (the same .wrangler/state that `npm start` uses); --remote writes the deployed database.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { migrate } from './collector.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const wranglerBin = path.join(root, 'node_modules/wrangler/bin/wrangler.js');
const args = process.argv.slice(2);
const cmd = args[0];
const values = (flag) => args.flatMap((a, i) => (a === flag && args[i + 1] ? [args[i + 1]] : []));
const remote = args.includes('--remote');
const env = values('--env')[0];
const persistTo = values('--persist-to')[0] ?? path.join(root, '.wrangler/state');

function d1(sql) {
  const target = remote ? ['--remote', ...(env ? ['--env', env] : [])] : ['--local', '--persist-to', persistTo];
  const r = spawnSync(process.execPath, [wranglerBin, 'd1', 'execute', 'DB', ...target, '--json', '--command', sql], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  if (r.status !== 0) throw new Error(`wrangler d1 execute failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout)[0]?.results ?? [];
}
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;

function fail(message) {
  console.error(message);
  process.exit(2);
}

if (!remote) migrate(persistTo);
if (cmd === 'create' && args.includes('--write')) {
  const sites = values('--site');
  if (sites.length !== 1) fail('usage: npm run key -- create --site <site id> --write [--browser] [--name <label>]  (a write key belongs to exactly one site)');
  const known = Object.keys(JSON.parse(readFileSync(path.join(root, 'config/sites.json'), 'utf8')).sites);
  if (!known.includes(sites[0])) fail(`unknown site "${sites[0]}" (config/sites.json has: ${known.join(', ')})`);
  const kind = args.includes('--browser') ? 'browser' : 'server';
  const key = `tpw_${randomBytes(32).toString('base64url')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  const name = values('--name')[0] ?? `${kind} write key for ${sites[0]}`;
  d1(`INSERT INTO write_keys (key_hash, prefix, name, site_id, kind, created_at) VALUES (${q(hash)}, ${q(key.slice(0, 10))}, ${q(name)}, ${q(sites[0])}, ${q(kind)}, ${Date.now()})`);
  console.log(`${kind === 'browser' ? 'Browser' : 'Server'} write key for ${sites[0]} (shown once; only its hash is stored):\n\n  ${key}\n`);
  console.log(kind === 'browser'
    ? 'For analytics.js: it writes events only (no identify/alias links, no user ids), and only from the site\'s origins.'
    : `Use it as HTTP Basic user name: curl -u '${key}:' …/segment/v1/batch  (never in a page: use --browser keys there)`);
} else if (cmd === 'create') {
  const sites = values('--site');
  if (!sites.length) fail('usage: npm run key -- create --site <site id> [--site …] [--name <label>] [--remote [--env production]]');
  const known = Object.keys(JSON.parse(readFileSync(path.join(root, 'config/sites.json'), 'utf8')).sites);
  for (const s of sites) if (!known.includes(s)) fail(`unknown site "${s}" (config/sites.json has: ${known.join(', ')})`);
  const key = `tp_${randomBytes(32).toString('base64url')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  const name = values('--name')[0] ?? `key for ${sites.join(', ')}`;
  d1(`INSERT INTO api_keys (key_hash, prefix, name, sites, created_at) VALUES (${q(hash)}, ${q(key.slice(0, 10))}, ${q(name)}, ${q(JSON.stringify(sites))}, ${Date.now()})`);
  console.log(`API key for ${sites.join(', ')} (shown once; only its hash is stored):\n\n  ${key}\n\nUse it as: Authorization: Bearer ${key}`);
} else if (cmd === 'list') {
  for (const k of d1('SELECT prefix, name, sites, created_at, revoked_at FROM api_keys ORDER BY created_at')) {
    console.log(`${k.prefix}…  ${k.name}  sites=${k.sites}  created ${new Date(k.created_at).toISOString()}${k.revoked_at ? `  REVOKED ${new Date(k.revoked_at).toISOString()}` : ''}`);
  }
  for (const k of d1('SELECT prefix, name, site_id, kind, created_at, revoked_at FROM write_keys ORDER BY created_at')) {
    console.log(`${k.prefix}…  ${k.name}  write (${k.kind}) site=${k.site_id}  created ${new Date(k.created_at).toISOString()}${k.revoked_at ? `  REVOKED ${new Date(k.revoked_at).toISOString()}` : ''}`);
  }
} else if (cmd === 'revoke') {
  const prefix = args[1];
  if (!prefix || prefix.length < 6) fail('usage: npm run key -- revoke <key prefix, as shown by list>');
  const table = prefix.startsWith('tpw_') ? 'write_keys' : 'api_keys';
  d1(`UPDATE ${table} SET revoked_at = ${Date.now()} WHERE prefix = ${q(prefix.slice(0, 10))} AND revoked_at IS NULL`);
  console.log(`revoked keys starting ${prefix}`);
} else {
  fail('usage: npm run key -- create --site <id> [--write [--browser]] | list | revoke <prefix>');
}
