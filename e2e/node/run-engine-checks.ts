// Bad input to the engine, in Node on Dawn with the bundled model: each case must raise its typed
// error, and the engine must still generate afterwards (nothing lost or half-used).
// --device wasm runs the same requests on the CPU backend (onnxruntime-web), then its strict loading;
// the pool soak and device loss are WebGPU's own and run only there.
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { createGpuContext } from '../../src/gpu/device';
import { InThreadEngine } from '../../src/engine/engine';
import { CancelledError, ContextTooLongError, DeviceLostError, EmptyPromptError, ImageInputUnsupportedError, InvalidImageError, InvalidOptionError, ModelConfigError, ModelNotFoundError, PromptTooLongError, WasmOutOfMemoryError, WeightsFormatError } from '../../src/api/errors';
import { runChat } from '../../src/engine/chat-driver';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { nextflowOnGpu } from '../../src/models/nextflow/family';
import type { ChatMessage } from '../../src/api/types';
import { loadModelFiles } from '../../src/store';
import { NextFlowModel } from '../../src/models/nextflow/model';
import type { ByteSource } from '../../src/models/weights';
import { localDirFetch, LOCAL_BASE } from './local-fetch';
import { setWasmMemoryLimit, wasmRuntime } from '../../src/backends/wasm/runtime';
import { loadOnWasm } from '../../src/backends/wasm/families';
import type { ModelFiles } from '../../src/models/family';
import { relabelTensor, stripTensors, withExtraTensor } from './strip-tensors';

const args = process.argv.slice(2);
const onWasm = args.includes('--device') && args[args.indexOf('--device') + 1] === 'wasm';
const modelDir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--device') ?? 'models/nextscale-tiny';
const gpu = onWasm ? undefined : await createNodeGpu();
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

const engine = new InThreadEngine({ gpu, storage: 'memory', fetch: localDirFetch(modelDir), device: onWasm ? 'wasm' : 'webgpu' });
await check('a missing model folder is ModelNotFoundError', ModelNotFoundError, () => engine.loadModel('http://local/no-such-model/', { warmUp: false }));
const { contextLength, device: ran } = await engine.loadModel(LOCAL_BASE, { warmUp: false });
if (ran.backend !== (onWasm ? 'wasm' : 'webgpu')) throw new Error(`the engine runs on ${ran.backend}`);
console.log(`device: ${ran.backend} (${ran.reason})`);
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
// Chat: bad conversations fail with their typed error; a stopped reply keeps what it said.
const ask = (text: string): ChatMessage => ({ role: 'user', parts: [{ type: 'text', text }] });
const small = { width: 16, height: 16, data: new Uint8ClampedArray(16 * 16 * 4) };
await check('a chat image of the wrong size is InvalidImageError', InvalidImageError, () =>
  engine.chat([{ role: 'user', parts: [{ type: 'image', image: small }, { type: 'text', text: 'what is in this image ?' }] }]),
);
// Long enough for any context: each exchange takes about 10 tokens.
const pairs = Math.ceil(contextLength / 8);
const long: ChatMessage[] = Array.from({ length: 2 * pairs }, (_, i) => (i % 2 ? { role: 'assistant', parts: [{ type: 'text', text: 'a red circle' }] } : ask('draw a red circle')));
long.push(ask('now make it blue'));
{
  // Longer than the context: the oldest turns are left out (announced first), and the reply stays inside the context.
  const events: string[] = [];
  const r = await engine.chat(long, { seed: 2, maxNewTokens: 6 }, (e) => events.push(e.type));
  const d = r.dropped;
  const ok =
    !!d && events[0] === 'context' && d.turns[0] === 0 && !d.turns.includes(pairs) && d.tokensBefore > r.contextLength &&
    d.tokensAfter < r.contextLength && r.contextTokens <= r.contextLength && d.messages.length === 2 * d.turns.length;
  console.log(`${ok ? 'ok  ' : 'FAIL'} a conversation longer than the context leaves out its oldest turns (${d?.turns.length} of ${pairs + 1} dropped, ${d?.tokensBefore} → ${d?.tokensAfter} tokens, reply at ${r.contextTokens}/${r.contextLength})`);
  ok ? passed++ : failed++;
}
{
  // A conversation three times longer than the context, made of the model's own replies: every turn
  // gets a reply, each drop is announced before the reply, and no reply runs past the context
  // (the engine's own accounting: contextTokens ≤ contextLength).
  const prompts = ['draw a small red circle at the top left on a white background', 'now make it blue', 'what is in this image ?', 'draw a large green square in the center on a black background'];
  const conv: ChatMessage[] = [];
  let whole = 0;
  let turns = 0;
  let drops = 0;
  const problems: string[] = [];
  // A 512-token window of the model's context (ChatOptions.contextLength) keeps this loop short.
  const ctxLen = Math.min(512, contextLength);
  while (whole < 3 * ctxLen && turns < ctxLen / 20) {
    conv.push(ask(prompts[turns % prompts.length]));
    const seen: string[] = [];
    const r = await engine.chat(conv, { seed: turns, maxNewTokens: 48, contextLength: ctxLen }, (e) => seen.push(e.type));
    if (r.contextLength !== ctxLen) problems.push(`turn ${turns}: the reply used a ${r.contextLength}-token context, not the ${ctxLen} asked for`);
    if (r.contextTokens > r.contextLength) problems.push(`turn ${turns}: ${r.contextTokens} > ${r.contextLength} tokens`);
    if (r.dropped && seen[0] !== 'context') problems.push(`turn ${turns}: a drop was not announced first`);
    if (!r.dropped && seen.includes('context')) problems.push(`turn ${turns}: a 'context' event without a drop`);
    if (!r.message.parts.length) problems.push(`turn ${turns}: no reply (${r.stopReason})`);
    if (r.dropped) drops++;
    // The whole conversation's tokens: what was left out plus what the model read and wrote.
    whole = r.dropped ? r.dropped.tokensBefore + (r.contextTokens - r.dropped.tokensAfter) : r.contextTokens;
    conv.push(r.message);
    turns++;
  }
  if (whole < 3 * ctxLen) problems.push(`only ${whole} tokens after ${turns} turns`);
  if (!drops) problems.push('no turn was ever dropped');
  console.log(`${problems.length ? 'FAIL' : 'ok  '} a conversation 3× longer than the context keeps working (${turns} turns, ${whole} tokens, ${drops} replies with older turns left out)${problems.length ? '\n     ' + problems.join('\n     ') : ''}`);
  problems.length ? failed++ : passed++;
}
await check('one message longer than the context is ContextTooLongError', ContextTooLongError, () => engine.chat([ask(Array.from({ length: contextLength + 10 }, () => 'red').join(' '))]));
await check('a conversation that does not end with the user is InvalidOptionError', InvalidOptionError, () => engine.chat([ask('hi'), { role: 'assistant', parts: [] }]));
{
  const stop = new AbortController();
  let deltas = 0;
  const cut = await engine.chat([ask('draw a small red circle at the top left on a white background')], { seed: 1, maxNewTokens: 8, signal: stop.signal }, (e) => {
    if (e.type === 'text' || e.type === 'image-scale') deltas++;
    if (deltas === 1) stop.abort();
  });
  const ok = cut.stopReason === 'cancelled' && deltas >= 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} a stopped chat reply resolves with stopReason cancelled (${cut.stopReason}, ${deltas} events)`);
  ok ? passed++ : failed++;
  const next = await engine.chat([ask('draw a small red circle at the top left on a white background'), cut.message, ask('now make it blue')], { seed: 1, maxNewTokens: 4 });
  const cont = next.contextTokens > cut.contextTokens && next.message.role === 'assistant';
  console.log(`${cont ? 'ok  ' : 'FAIL'} the chat continues after a stopped reply (${next.stopReason}, ${next.contextTokens} tokens)`);
  cont ? passed++ : failed++;
}
// Soak: 30 generations; after the first few, the working buffers in use and their peak stay flat (no leak).
if (!onWasm) {
  const seen: Array<{ live: number; peak: number; free: number }> = [];
  for (let i = 0; i < 30; i++) {
    await engine.generateImage({ prompt: i % 2 ? 'red apple' : 'a large blue square in the center on a white background', seed: i, previews: i % 3 === 0 });
    const m = await engine.memory();
    seen.push({ live: m.poolLiveBytes, peak: m.poolPeakBytes, free: m.poolFreeBytes });
  }
  const tail = seen.slice(5);
  const flat = tail.every((x) => x.live === tail[0].live && x.peak === tail[0].peak && x.free === tail[0].free);
  const m = await engine.memory();
  const ok = flat && m.weightsBytes > 0 && tail[0].peak > 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} 30 generations: pool bytes flat after the first 5 (live ${tail[0].live}, peak ${tail[0].peak}, free ${tail[0].free}; weights ${m.weightsBytes})${flat ? '' : `\n     ${JSON.stringify(seen)}`}`);
  ok ? passed++ : failed++;
}
// The engine still works after every failure above.
const after = await engine.generateImage({ prompt: 'red apple', seed: 3 });
const works = after.codes.length > 0 && after.image.data.length === after.image.width * after.image.height * 4;
console.log(`${works ? 'ok  ' : 'FAIL'} generates after the failures`);
works ? passed++ : failed++;
await engine.dispose();
await tooLargeForWasm();
if (onWasm) await wasmLoading();
else await gpuOnly();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

/**
 * A model over the CPU backend's memory ceiling (lowered here, 4 GiB in use): device 'wasm' gets
 * WasmOutOfMemoryError naming the sizes; 'auto' on a software adapter runs it there instead, and says why.
 */
async function tooLargeForWasm(): Promise<void> {
  setWasmMemoryLimit(1_000_000);
  try {
    const small = new InThreadEngine({ storage: 'memory', fetch: localDirFetch(modelDir), device: 'wasm' });
    await check('wasm: a model over the memory ceiling is WasmOutOfMemoryError', WasmOutOfMemoryError, () => small.loadModel(LOCAL_BASE, { warmUp: false }));
    await small.dispose();
    if (onWasm) return;
    const auto = new InThreadEngine({ gpu, storage: 'memory', fetch: localDirFetch(modelDir), device: 'auto' });
    const info = await auto.loadModel(LOCAL_BASE, { warmUp: false });
    const r = await auto.generateImage({ prompt: 'red apple', seed: 3, previews: false });
    const ok = info.device.backend === 'webgpu' && /too large for the CPU backend/.test(info.device.reason) && r.codes.length > 0;
    console.log(`${ok ? 'ok  ' : 'FAIL'} auto on a software adapter runs a model too large for wasm on WebGPU (${info.device.backend}: ${info.device.reason})`);
    ok ? passed++ : failed++;
    await auto.dispose();
  } finally {
    setWasmMemoryLimit();
  }
}

/** Strict loading on the CPU backend: the same corruptions the WebGPU loader refuses. */
async function wasmLoading(): Promise<void> {
  const rt = await wasmRuntime({});
  const files = await loadModelFiles(LOCAL_BASE, { fetch: localDirFetch(modelDir), storage: null });
  const all = new Map<string, ByteSource>(files.files);
  const withConfig = (config: unknown, weights: ReadonlyMap<string, ByteSource> = all): ModelFiles => ({ config: config as Record<string, unknown>, json: (path) => files.files.get(path)?.json(), files: weights });
  const wider = structuredClone(files.config) as { architecture: { dim: number } };
  wider.architecture.dim *= 2;
  await check('wasm: a config that does not match the weights is ModelConfigError', ModelConfigError, () => loadOnWasm(rt, withConfig(wider)));
  const fewer = structuredClone(files.config) as { architecture: { layers: number } };
  fewer.architecture.layers -= 2;
  await check('wasm: a config with fewer layers than the weights is ModelConfigError (strict loading)', ModelConfigError, () => loadOnWasm(rt, withConfig(fewer)));
  const extra = new Map(all);
  extra.set('vq.safetensors', withExtraTensor(all.get('vq.safetensors')!, 'vq.planted', 16));
  await check('wasm: an unused extra tensor is ModelConfigError (strict loading)', ModelConfigError, () => loadOnWasm(rt, withConfig(files.config, extra)));
  const relabelled = new Map(all);
  relabelled.set('model.safetensors', relabelTensor(all.get('model.safetensors')!, 'lm.head.weight', 'BF16'));
  await check('wasm: F16 data relabelled as BF16 is WeightsFormatError', WeightsFormatError, () => loadOnWasm(rt, withConfig(files.config, relabelled)));
  const noEncoder = new Map(all);
  noEncoder.set('vq.safetensors', stripTensors(all.get('vq.safetensors')!, (name) => name.startsWith('vq.encoder.')));
  const blind = await loadOnWasm(rt, withConfig(files.config, noEncoder));
  const seesNot = !blind.info.canSeeImages;
  console.log(`${seesNot ? 'ok  ' : 'FAIL'} wasm: weights without vq.encoder.* give canSeeImages = false`);
  seesNot ? passed++ : failed++;
}

async function gpuOnly(): Promise<void> {

// Device loss: a generation in flight fails with DeviceLostError; the next call makes a new device,
// loads the model again (no network: from the same files) and gives the same image as before the loss.
{
  let device: GPUDevice | undefined;
  const real = await createNodeGpu();
  // The engine's own device, caught as it is created, so the test can destroy it like a driver reset would.
  const spy = {
    requestAdapter: async (o?: GPURequestAdapterOptions) => {
      const a = (await real.requestAdapter(o))!;
      const requestDevice = a.requestDevice.bind(a);
      Object.defineProperty(a, 'requestDevice', { value: async (d?: GPUDeviceDescriptor) => (device = await requestDevice(d)) });
      return a;
    },
    getPreferredCanvasFormat: () => real.getPreferredCanvasFormat(),
    wgslLanguageFeatures: real.wgslLanguageFeatures,
  } as unknown as GPU;
  const lossy = new InThreadEngine({ gpu: spy, storage: 'memory', fetch: localDirFetch(modelDir), device: 'webgpu' });
  await lossy.loadModel(LOCAL_BASE, { warmUp: false });
  const before = await lossy.generateImage({ prompt: 'red apple', seed: 5, previews: false });
  const first = device;
  await check('a device lost mid-generation is DeviceLostError', DeviceLostError, () =>
    lossy.generateImage({ prompt: 'red apple', seed: 5 }, (e) => {
      if (e.scale === 1) first!.destroy();
    }),
  );
  const after = await lossy.generateImage({ prompt: 'red apple', seed: 5, previews: false });
  const same = device !== first && JSON.stringify(after.codes) === JSON.stringify(before.codes);
  console.log(`${same ? 'ok  ' : 'FAIL'} the next request after the loss works on a new device, with the same codes`);
  same ? passed++ : failed++;
  device!.destroy(); // lost while idle
  await new Promise((r) => setTimeout(r, 50));
  const idle = await lossy.chat([ask('draw a small red circle at the top left on a white background')], { seed: 0, maxNewTokens: 4 }).then(
    (r) => r.message.parts.length > 0,
    () => false,
  );
  console.log(`${idle ? 'ok  ' : 'FAIL'} a device lost while idle is replaced on the next request (chat)`);
  idle ? passed++ : failed++;
  await lossy.dispose();
}
// A config that does not match its weights: change the width in config.json and load the same weights.
const ctx = await createGpuContext({ gpu: gpu! });
const files = await loadModelFiles(LOCAL_BASE, { fetch: localDirFetch(modelDir), storage: null });
const weights = new Map<string, ByteSource>([...files.files]);
const config = structuredClone(files.config) as { architecture: { dim: number }; files: { tokenizer: string } };
const tokenizer = files.files.get(config.files.tokenizer)!.json();
config.architecture.dim *= 2;
await check('a config that does not match the weights is ModelConfigError', ModelConfigError, async () => NextFlowModel.load(ctx, { config, tokenizer, weights }));
const noLayers = structuredClone(files.config) as Record<string, unknown>;
delete noLayers.architecture;
await check('a config without architecture is ModelConfigError', ModelConfigError, async () => NextFlowModel.load(ctx, { config: noLayers, tokenizer, weights }));
const badFlag = structuredClone(files.config) as { image: Record<string, unknown> };
badFlag.image.feed_back_finest = 'yes';
await check('image.feed_back_finest that is not a boolean is ModelConfigError', ModelConfigError, async () => NextFlowModel.load(ctx, { config: badFlag, tokenizer, weights }));
// Strict loading: weights the config does not describe, and a tensor relabelled to another dtype.
{
  const fewer = structuredClone(files.config) as { architecture: { layers: number } };
  fewer.architecture.layers -= 2;
  await check('a config with fewer layers than the weights is ModelConfigError (strict loading)', ModelConfigError, async () => NextFlowModel.load(ctx, { config: fewer, tokenizer, weights }));
  const extra = new Map(weights);
  extra.set('vq.safetensors', withExtraTensor(weights.get('vq.safetensors')!, 'vq.planted', 16));
  await check('an unused extra tensor is ModelConfigError (strict loading)', ModelConfigError, async () => NextFlowModel.load(ctx, { config: files.config, tokenizer, weights: extra }));
  const relabelled = new Map(weights);
  relabelled.set('model.safetensors', relabelTensor(weights.get('model.safetensors')!, 'lm.head.weight', 'BF16'));
  await check('F16 data relabelled as BF16 is WeightsFormatError', WeightsFormatError, async () => NextFlowModel.load(ctx, { config: files.config, tokenizer, weights: relabelled }));
}
// Weights without the VQ encoder: the model loads, says it cannot see images, and chat refuses images.
const noEncoder = new Map<string, ByteSource>([...weights].map(([k, v]) => [k, v]));
noEncoder.set('vq.safetensors', stripTensors(weights.get('vq.safetensors')!, (name) => name.startsWith('vq.encoder.')));
const blind = NextFlowModel.load(ctx, { config: files.config, tokenizer, weights: noEncoder });
const seesNot = !blind.canSeeImages;
console.log(`${seesNot ? 'ok  ' : 'FAIL'} weights without vq.encoder.* give canSeeImages = false`);
seesNot ? passed++ : failed++;
const img64 = { width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4) };
await check('an image for a model without an encoder is ImageInputUnsupportedError', ImageInputUnsupportedError, () =>
  runChat(new WebGpuBackend(ctx), nextflowOnGpu(ctx, blind), [{ role: 'user', parts: [{ type: 'image', image: img64 }, { type: 'text', text: 'what is in this image ?' }] }], {}),
);
blind.destroy();
ctx.destroy();
}
