#!/usr/bin/env node
// The `nextscale` command. It runs the bundled CLI (dist/cli/nextscale.mjs: no TypeScript compiled at
// start-up) and rebuilds that bundle first when a file of src/ or shaders/ is newer than it (a source
// checkout after an edit: about half a second, once).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist/cli/nextscale.mjs');

/** Newest modification time under `dir` (0 when it is missing); tests are not part of the CLI. */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'tests' || e.name.endsWith('.gen.ts')) continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const fresh = () => existsSync(bundle) && statSync(bundle).mtimeMs >= Math.max(newest(join(root, 'src')), newest(join(root, 'shaders')));

// Rebuild a stale bundle; only where that cannot be done (no esbuild, a read-only install) run the
// sources through tsx. A bundle that fails to load is an error to see, not a reason to fall back.
let built = fresh();
if (!built) {
  try {
    await import('../tools/gen-shaders.mjs');
    const { buildCli } = await import('../tools/build-cli.mjs');
    await buildCli(root);
    built = true;
  } catch {
    built = false;
  }
}
let main;
if (built) ({ main } = await import(pathToFileURL(bundle).href));
else {
  const { register } = await import('tsx/esm/api');
  await import('../tools/gen-shaders.mjs').catch(() => undefined);
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exit(await main(process.argv.slice(2)));
