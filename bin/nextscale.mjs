#!/usr/bin/env node
// The `nextscale` command: runs src/cli/main.ts through tsx (a devDependency), after making sure
// the generated shader bundle (src/gpu/shaders.gen.ts) is current.
import { register } from 'tsx/esm/api';

await import('../tools/gen-shaders.mjs');
register();
const { main } = await import('../src/cli/main.ts');
process.exit(await main(process.argv.slice(2)));
