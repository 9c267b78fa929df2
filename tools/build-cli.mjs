// Bundles the CLI (src/cli/main.ts and everything it imports from src/) into one ES module,
// dist/cli/nextscale.mjs, so that `nextscale` starts without compiling TypeScript. Packages stay
// external (node_modules). The bundle sits two folders below the root like src/cli/, so paths it
// resolves from import.meta.url (the bundled model) stay the same.
import { build } from 'esbuild';
import { join } from 'node:path';

export const CLI_BUNDLE = 'dist/cli/nextscale.mjs';

export async function buildCli(root) {
  await build({
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: join(root, CLI_BUNDLE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await import('./gen-shaders.mjs');
  await buildCli(join(import.meta.dirname, '..'));
}
