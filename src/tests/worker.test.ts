// Unit tests (node:test through tsx) for the worker client: a WorkerEngine and an EngineHost
// talking over a MessageChannel, with a scripted fake engine in place of the GPU one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expose } from 'comlink';
import { WorkerEngine } from '../worker/client';
import { WorkerCrashedError } from '../api/errors';
import { EngineHost } from '../worker/host';
import { deserializeError, serializeError } from '../worker/errors';
import { CancelledError, EmptyPromptError, NextscaleError, PromptTooLongError, WebGPUUnavailableError } from '../api/errors';
import { DownloadCancelledError, ModelNotFoundError } from '../api/errors';
import * as allErrors from '../api/errors';
import { NEXTSCALE_ERROR_NAMES } from '../api/error-registry';
import { readFileSync } from 'node:fs';
import type { CachedModel, ChatEvent, ChatMessage, ChatOptions, ChatReply, Engine, GenerateImageOptions, ImageResult, LoadModelOptions, MemoryInfo, ModelInfo, ScaleEvent, TextCheck } from '../api/types';

const SCALES = [1, 2, 4];
const info: ModelInfo = {
  id: 'fake@0', name: 'fake', family: 'nextflow', imageSize: 4, scales: SCALES, conditioning: 'text', canCaption: false, canSeeImages: false, contextLength: 64,
  sampling: { cfg: 2, topK: 20, topP: 0.9, temperature: 1 }, gpuBytes: 10, cached: true, maxPromptTokens: 16, description: 'a fake', parameters: 10,
  device: { backend: 'wasm', requested: 'auto', reason: 'a fake', threads: 1 },
};

/** Emits one event per scale, each after a macrotask, and honours its signal between scales. */
class FakeEngine implements Engine {
  disposed = 0;
  lastOpts?: GenerateImageOptions;
  loaded?: string;
  async loadModel(url: string, opts: LoadModelOptions = {}): Promise<ModelInfo> {
    this.loaded = url;
    if (url.startsWith('throw:')) throw makeError(url.slice(6).replace(/\/$/, ''));
    if (url.endsWith('/missing/')) throw new ModelNotFoundError(`${url}/manifest.json`, 'HTTP 404 Not Found');
    for (const percent of [0, 50, 100]) {
      if (opts.signal?.aborted) throw new DownloadCancelledError(url);
      opts.onProgress?.({ phase: percent === 100 ? 'ready' : 'download', loadedBytes: percent, totalBytes: 100, percent, fromCache: false });
      await new Promise((r) => setTimeout(r, 5));
    }
    return info;
  }
  async generateImage(opts: GenerateImageOptions, onEvent?: (e: ScaleEvent) => void): Promise<ImageResult> {
    this.lastOpts = opts;
    if (!opts.prompt?.trim()) throw new EmptyPromptError();
    if (opts.prompt.length > 50) throw new PromptTooLongError(opts.prompt.length, 50);
    const codes: number[][] = [];
    let last!: Uint8ClampedArray;
    for (let s = 0; s < SCALES.length; s++) {
      await new Promise((r) => setTimeout(r, 10));
      if (opts.signal?.aborted) throw new CancelledError('Generating the image');
      const grid = SCALES[s];
      codes.push(Array.from({ length: grid * grid }, (_, i) => (opts.seed ?? 0) + s + i));
      last = new Uint8ClampedArray(4 * 4 * 4).fill(s * 50);
      onEvent?.({ type: 'scale', scale: s, scales: SCALES.length, grid, codes: codes[s], preview: { width: 4, height: 4, data: last }, timings: { forwardMs: 1, previewMs: 1, elapsedMs: s } });
    }
    // The final image shares the last preview's buffer: the host must not detach it.
    return { image: { width: 4, height: 4, data: last }, codes, seed: opts.seed ?? 0, timings: { totalMs: 3, firstPreviewMs: 1, perScaleMs: [1, 1, 1] } };
  }
  /** Streams one word per macrotask; an abort ends the reply early with stopReason 'cancelled'. */
  async chat(messages: ChatMessage[], opts: ChatOptions = {}, onEvent?: (e: ChatEvent) => void): Promise<ChatReply> {
    const words = ['a', 'red', 'circle', 'here'];
    let text = '';
    for (const w of words) {
      await new Promise((r) => setTimeout(r, 10));
      if (opts.signal?.aborted) return { message: { role: 'assistant', parts: [{ type: 'text', text }] }, stopReason: 'cancelled', contextTokens: messages.length + text.split(' ').length, contextLength: 64 };
      const delta = text ? ' ' + w : w;
      text += delta;
      onEvent?.({ type: 'text', text: delta });
    }
    return { message: { role: 'assistant', parts: [{ type: 'text', text }] }, stopReason: 'eos', contextTokens: messages.length + words.length, contextLength: 64 };
  }
  async checkText(input: { prompt: string } | { messages: ChatMessage[] }): Promise<TextCheck> {
    const text = 'prompt' in input ? input.prompt : JSON.stringify(input.messages);
    return { tokens: text.split(' ').length, limit: 16, unknown: text.includes('astronaut') ? ['astronaut'] : [] };
  }
  async listCachedModels(): Promise<CachedModel[]> {
    return [{ id: 'fake@0', model: 'fake', baseUrl: 'http://x/', bytes: 123, files: 3, complete: true, storedAt: 1 }];
  }
  async deleteCachedModel(): Promise<void> {}
  async memory(): Promise<MemoryInfo> {
    return { weightsBytes: 10, poolLiveBytes: 20, poolPeakBytes: 30, poolFreeBytes: 40 };
  }
  async dispose(): Promise<void> {
    this.disposed++;
  }
}

/** An instance of the named error class of api/errors.ts, built with placeholder arguments. */
function makeError(name: string): Error {
  const cls = (allErrors as unknown as Record<string, new (...a: unknown[]) => Error>)[name];
  return name === 'NextscaleError' ? new cls('E_TEST', 'a test error') : new cls('arg-a', 'arg-b', ['arg-c'], 'arg-d');
}

function connect(): { client: WorkerEngine; fake: FakeEngine; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const fake = new FakeEngine();
  expose(new EngineHost(fake), port2 as never);
  const worker = Object.assign(port1, { terminate: () => port1.close() }) as unknown as Worker;
  return { client: new WorkerEngine({ worker }), fake, port: port1 as unknown as MessagePort };
}

test('errors: serialized and rebuilt as the same class with code and fields', () => {
  const e = deserializeError(serializeError(new PromptTooLongError(80, 64))) as PromptTooLongError;
  assert.ok(e instanceof PromptTooLongError && e instanceof NextscaleError && e instanceof Error);
  assert.equal(e.code, 'E_PROMPT_TOO_LONG');
  assert.equal(e.name, 'PromptTooLongError');
  assert.equal(e.tokens, 80);
  assert.equal(e.maxTokens, 64);
  assert.match(e.message, /at most 64/);
  const d = deserializeError(serializeError(new DownloadCancelledError('http://m/'))) as DownloadCancelledError;
  assert.ok(d instanceof DownloadCancelledError && d instanceof CancelledError);
  assert.equal(d.url, 'http://m/');
  const w = deserializeError(serializeError(new WebGPUUnavailableError('no adapter')));
  assert.ok(w instanceof WebGPUUnavailableError);
  const t = deserializeError(serializeError(new TypeError('bad'))) as Error;
  assert.ok(t instanceof TypeError);
  assert.equal(t.message, 'bad');
  const u = deserializeError(serializeError({ name: 'AbortError', message: 'aborted' })) as Error;
  assert.equal(u.name, 'AbortError');
  assert.equal(deserializeError(serializeError('plain string')), 'plain string');
});

test('worker client: load with progress, generate with events in order, list, dispose', async () => {
  const { client, fake, port } = connect();
  const progress: number[] = [];
  assert.deepEqual(await client.loadModel('/models/fake/', { onProgress: (p) => progress.push(p.percent) }), info);
  await new Promise((r) => setTimeout(r, 20)); // progress calls are fire-and-forget
  assert.deepEqual(progress, [0, 50, 100]);
  const events: ScaleEvent[] = [];
  const r = await client.generateImage({ prompt: 'a red circle', seed: 7, cfg: 3 }, (e) => events.push(e));
  assert.deepEqual(events.map((e) => e.scale), [0, 1, 2]);
  assert.deepEqual(events.map((e) => e.preview!.data[0]), [0, 50, 100]);
  assert.ok(events[0].preview!.data instanceof Uint8ClampedArray);
  assert.deepEqual(r.codes, [[7], [8, 9, 10, 11], Array.from({ length: 16 }, (_, i) => 9 + i)]);
  assert.equal(r.image.data.length, 64);
  assert.equal(r.image.data[0], 100, 'the final image survives although it shares the last preview buffer');
  assert.equal(fake.lastOpts!.cfg, 3);
  assert.equal(fake.lastOpts!.signal instanceof AbortSignal, true);
  assert.equal((await client.listCachedModels())[0].bytes, 123);
  assert.deepEqual(await client.memory(), { weightsBytes: 10, poolLiveBytes: 20, poolPeakBytes: 30, poolFreeBytes: 40 });
  await client.dispose();
  assert.equal(fake.disposed, 1);
  port.close();
});

test('worker client: typed errors cross the boundary', async () => {
  const { client, port } = connect();
  await assert.rejects(client.generateImage({ prompt: '  ' }), (e) => e instanceof EmptyPromptError && (e as NextscaleError).code === 'E_EMPTY_PROMPT');
  await assert.rejects(client.loadModel('missing'), (e) => e instanceof ModelNotFoundError && /No model at http:\/\/localhost\/models\/missing\//.test((e as Error).message));
  port.close();
});

test('worker client: an AbortSignal cancels the run in the worker, then the next run works', async () => {
  const { client, port } = connect();
  const ac = new AbortController();
  const seen: number[] = [];
  const run = client.generateImage({ prompt: 'x', seed: 1, signal: ac.signal }, (e) => {
    seen.push(e.scale);
    ac.abort();
  });
  await assert.rejects(run, (e) => e instanceof CancelledError);
  assert.ok(seen.length >= 1 && seen.length < 3, `cancelled mid-run (saw ${seen.length} scales)`);
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(client.generateImage({ prompt: 'x', signal: pre.signal }), (e) => e instanceof CancelledError);
  const again = await client.generateImage({ prompt: 'x', seed: 1 });
  assert.equal(again.codes.length, 3);
  port.close();
});

test('worker client: a worker that dies fails pending and later calls with WorkerCrashedError', async () => {
  const { port1 } = new MessageChannel();
  const worker = Object.assign(port1, { terminate: () => port1.close() }) as unknown as Worker;
  const client = new WorkerEngine({ worker });
  const pending = client.listCachedModels();
  worker.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message: 'SyntaxError in engine.js' }));
  await assert.rejects(pending, (e) => e instanceof WorkerCrashedError && /SyntaxError in engine\.js/.test((e as Error).message));
  await assert.rejects(client.dispose(), WorkerCrashedError);
  port1.close();
});

test('worker client: chat streams text; an abort resolves with the partial reply, and the next turn works', async () => {
  const { client, port } = connect();
  const user: ChatMessage = { role: 'user', parts: [{ type: 'text', text: 'hello' }] };
  const deltas: string[] = [];
  const full = await client.chat([user], {}, (e) => e.type === 'text' && deltas.push(e.text));
  assert.equal(full.stopReason, 'eos');
  assert.deepEqual(full.message.parts, [{ type: 'text', text: 'a red circle here' }]);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(deltas.join(''), 'a red circle here');
  const ac = new AbortController();
  const cut = await client.chat([user], { signal: ac.signal }, () => ac.abort());
  assert.equal(cut.stopReason, 'cancelled');
  const partial = (cut.message.parts[0] as { text: string }).text;
  assert.ok(partial.length > 0 && partial.length < 'a red circle here'.length, `partial reply kept: "${partial}"`);
  assert.equal((await client.chat([user, cut.message, user])).stopReason, 'eos');
  port.close();
});

test('errors: every error class of api/errors.ts crosses the worker as itself, with its code, and is exported', async () => {
  // The list comes from the module itself, so a new class is covered without editing this test.
  assert.ok(NEXTSCALE_ERROR_NAMES.length >= 25, `only ${NEXTSCALE_ERROR_NAMES.length} error classes found`);
  const { client, port } = connect();
  try {
  for (const name of NEXTSCALE_ERROR_NAMES) {
    const local = makeError(name) as NextscaleError;
    assert.match(local.code, /^E_[A-Z0-9_]+$/, `${name}.code`);
    await assert.rejects(client.loadModel(`throw:${name}`), (e: unknown) => {
      const cls = (allErrors as unknown as Record<string, new (...a: never[]) => Error>)[name];
      assert.ok(e instanceof cls, `${name}: arrived as ${(e as Error)?.constructor?.name}`);
      assert.ok(e instanceof NextscaleError, `${name} is a NextscaleError`);
      assert.equal((e as NextscaleError).code, local.code, `${name}.code`);
      assert.equal((e as Error).name, name);
      assert.equal((e as Error).message, local.message);
      return true;
    });
  }
  } finally {
    await client.dispose();
    port.close();
  }
  // The package entry re-exports the whole module, so every class is importable from 'nextscale'.
  assert.match(readFileSync(new URL('../index.ts', import.meta.url), 'utf8'), /^export \* from '\.\/api\/errors';$/m);
});

test('worker client: after a crash, the next call starts a new worker and loads the last model in it again', async () => {
  const fakes: FakeEngine[] = [];
  const ports: MessagePort[] = [];
  const spawn = (): Worker => {
    const { port1, port2 } = new MessageChannel();
    const fake = new FakeEngine();
    fakes.push(fake);
    ports.push(port1 as unknown as MessagePort);
    expose(new EngineHost(fake), port2 as never);
    return Object.assign(port1, { terminate: () => port1.close() }) as unknown as Worker;
  };
  const client = new WorkerEngine({ worker: spawn(), createWorker: spawn });
  await client.loadModel('http://localhost/models/tiny/');
  const first = fakes[0];
  const pending = client.generateImage({ prompt: 'x', seed: 1 }, () => {
    (ports[0] as unknown as Worker).dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message: 'Uncaught RangeError: planted' }));
  });
  await assert.rejects(pending, (e) => e instanceof WorkerCrashedError && /planted/.test((e as Error).message));
  const again = await client.generateImage({ prompt: 'x', seed: 1 });
  assert.equal(again.codes.length, 3);
  assert.equal(fakes.length, 2, 'one new worker');
  assert.equal(fakes[1].loaded, 'http://localhost/models/tiny/', 'the last model is loaded in the new worker');
  assert.ok(first !== fakes[1]);
  client.terminate();
  await assert.rejects(client.generateImage({ prompt: 'x' }), WorkerCrashedError); // terminate() is for good
  assert.equal(fakes.length, 2);
  for (const p of ports) p.close();
});
