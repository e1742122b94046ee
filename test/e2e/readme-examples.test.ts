import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error — plain ESM helper shared with npm start and the benchmarks
import { root, startCollector } from '../../scripts/collector.mjs';

/**
 * What a newcomer does: `npm start` (a fresh local D1, seeded with the sample data), then pastes the README's shell
 * examples one block after another. Every `curl` must answer < 400. Commands that are not HTTP calls (npm, node, npx,
 * wrangler, duckdb) are not run here: they have tests of their own.
 */
const PORT = 8832;
let dir: string;
let collector: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tp-readme-'));
  collector = await startCollector({ port: PORT, persistTo: path.join(dir, 'state'), seed: true });
}, 120_000);
afterAll(async () => {
  await collector?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The README's ```sh blocks that call the collector, in order. */
function shellBlocks(): string[] {
  const md = readFileSync(path.join(root, 'README.md'), 'utf8');
  return [...md.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /\bcurl\b/.test(b));
}

describe('the README, pasted into a shell after npm start', () => {
  it('every curl example answers < 400', async () => {
    const blocks = shellBlocks();
    expect(blocks.length).toBeGreaterThan(5);
    const codes = path.join(dir, 'codes');
    writeFileSync(codes, '');
    // One shell for all blocks, as a reader's terminal: variables set by one example ($TOKEN, $A) serve the next.
    const script = [
      'set -u',
      `curl() { local out; out=$(command curl -sS --max-time 20 -w '\\n%{http_code}' "$@"); local args="$*"; printf '%s %s\\n' "\${out##*$'\\n'}" "\${args//$'\\n'/ }" >> ${JSON.stringify(codes)}; printf '%s\\n' "\${out%$'\\n'*}"; }`,
      ...['npm', 'npx', 'node', 'wrangler', 'duckdb'].map((c) => `${c}() { :; }`),
      ...blocks.map((b) => b.replaceAll('127.0.0.1:8787', `127.0.0.1:${PORT}`)),
    ].join('\n');
    // Asynchronously: the collector's dev server runs in this process, and a blocking spawn would stall it.
    const run = await promisify(execFile)('bash', ['-c', script], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }).catch((e) => e);
    expect(run.code ?? 0, run.stderr).toBe(0);
    const calls = readFileSync(codes, 'utf8').trim().split('\n').filter(Boolean).map((l) => ({ code: Number(l.slice(0, 3)), cmd: l.slice(4, 200) }));
    expect(calls.length).toBeGreaterThanOrEqual(blocks.length);
    expect(calls.filter((c) => !(c.code >= 200 && c.code < 400))).toEqual([]);
  }, 150_000);
});
