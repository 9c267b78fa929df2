// Bad input to the engine, in Node on Dawn with the bundled model: each case must raise its typed
// error, and the engine must still generate afterwards (nothing lost or half-used).
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { createGpuContext } from '../../src/gpu/device';
import { InThreadEngine } from '../../src/engine/engine';
import { CancelledError, EmptyPromptError, InvalidOptionError, ModelConfigError, PromptTooLongError } from '../../src/engine/errors';
import { loadModelFiles, ModelNotFoundError } from '../../src/store';
import { NextFlowModel } from '../../src/models/nextflow/model';
import type { ByteSource } from '../../src/models/weights';
import { localDirFetch, LOCAL_BASE } from './local-fetch';

const modelDir = process.argv[2] ?? 'models/nextscale-tiny';
const gpu = await createNodeGpu();
let passed = 0;
let failed = 0;

async function check(name: string, cls: new (...a: never[]) => Error, fn: () => Promise<unknown>): Promise<void> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  const ok = err instanceof cls;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `: got ${err instanceof Error ? `${err.name}: ${err.message}` : 'no error'}, wanted ${cls.name}`}`);
  ok ? passed++ : failed++;
}

const engine = new InThreadEngine({ gpu, storage: 'memory', fetch: localDirFetch(modelDir) });
await check('a missing model folder is ModelNotFoundError', ModelNotFoundError, () => engine.loadModel('http://local/no-such-model/', { warmUp: false }));
await engine.loadModel(LOCAL_BASE, { warmUp: false });
await check('an empty prompt is EmptyPromptError', EmptyPromptError, () => engine.generateImage({ prompt: '   ' }));
await check('an over-long prompt is PromptTooLongError', PromptTooLongError, () => engine.generateImage({ prompt: 'red '.repeat(200) }));
await check('a negative cfg is InvalidOptionError', InvalidOptionError, () => engine.generateImage({ prompt: 'red apple', cfg: -1 }));
await check('a non-integer seed is InvalidOptionError', InvalidOptionError, () => engine.generateImage({ prompt: 'red apple', seed: 1.5 }));
const aborted = new AbortController();
aborted.abort();
await check('an aborted signal is CancelledError', CancelledError, () => engine.generateImage({ prompt: 'red apple', signal: aborted.signal }));
const midway = new AbortController();
await check('cancelling after the first scale is CancelledError', CancelledError, () =>
  engine.generateImage({ prompt: 'red apple', seed: 1, signal: midway.signal }, (e) => {
    if (e.scale === 0) midway.abort();
  }),
);
// The engine still works after every failure above.
const after = await engine.generateImage({ prompt: 'red apple', seed: 3 });
const works = after.codes.length > 0 && after.image.data.length === after.image.width * after.image.height * 4;
console.log(`${works ? 'ok  ' : 'FAIL'} generates after the failures`);
works ? passed++ : failed++;
await engine.dispose();

// A config that does not match its weights: change the width in config.json and load the same weights.
const ctx = await createGpuContext({ gpu });
const files = await loadModelFiles(LOCAL_BASE, { fetch: localDirFetch(modelDir), storage: null });
const weights = new Map<string, ByteSource>([...files.files]);
const config = structuredClone(files.config) as { architecture: { dim: number }; files: { tokenizer: string } };
const tokenizer = files.files.get(config.files.tokenizer)!.json();
config.architecture.dim *= 2;
await check('a config that does not match the weights is ModelConfigError', ModelConfigError, async () => NextFlowModel.load(ctx, { config, tokenizer, weights }));
const noLayers = structuredClone(files.config) as Record<string, unknown>;
delete noLayers.architecture;
await check('a config without architecture is ModelConfigError', ModelConfigError, async () => NextFlowModel.load(ctx, { config: noLayers, tokenizer, weights }));
ctx.destroy();

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
