// `node scripts/check-config.mjs [file]`: validates the site configuration (config/sites.json, or the file named by
// the argument) with the worker's own validator, and exits 1 naming every bad key
// (`sites.demo.bots: …`). wrangler.toml runs it as its [build] command, so `wrangler dev` and `wrangler deploy`
// (dry runs too) stop before bundling; `npm start` runs it before anything else.
// It runs the worker's own parseConfig (worker/src/config/sites.ts, what validates the config at Worker start-up),
// bundled for Node on the fly (esbuild, ~0.2 s).
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

/**
 * @param {string} file the configuration to check
 * @returns {Promise<string[]>} every problem found, empty when the file is valid
 */
export async function checkConfig(file) {
  let input;
  try {
    input = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return [`${e instanceof SyntaxError ? 'not valid JSON' : 'cannot be read'}: ${e.message}`];
  }
  const bundle = await build({
    stdin: { contents: `export { parseConfig } from './worker/src/config/sites';`, resolveDir: root, loader: 'ts' },
    bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'silent',
    plugins: [{
      name: 'sites-json',
      // The module validates its import when it loads: give it an empty config, so parseConfig below judges the file.
      setup(b) {
        b.onResolve({ filter: /config\/sites\.json$/ }, () => ({ path: 'sites.json', namespace: 'stub' }));
        b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: '{"sites":{}}', loader: 'json' }));
      },
    }],
  });
  const url = `data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].contents).toString('base64')}`;
  const { parseConfig } = await import(url);
  const result = parseConfig(input);
  return result.ok ? [] : result.errors;
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const file = path.resolve(process.argv[2] ?? path.join(root, 'config/sites.json'));
  const errors = await checkConfig(file);
  if (errors.length) {
    const shown = path.relative(process.cwd(), file);
    console.error(`Invalid ${shown.startsWith('..') ? file : shown}:\n  ${errors.join('\n  ')}`);
    process.exit(1);
  }
}
