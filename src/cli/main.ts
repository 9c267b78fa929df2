/**
 * `nextscale` in Node: the same InThreadEngine as the browser, on Dawn through the npm "webgpu"
 * package (SwiftShader on Linux machines without a GPU). Started by bin/nextscale.mjs through tsx.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InThreadEngine } from '../engine/engine';
import { CancelledError, NextscaleError, WebGPUUnavailableError } from '../engine/errors';
import type { GenerateImageOptions, LoadProgress, ScaleEvent } from '../engine/types';
import { createNodeGpu } from '../gpu/node-gpu';
import { parseCli, USAGE, UsageError, type GenerateArgs } from './args';
import { createFileFetch } from './file-fetch';
import { encodePng } from './png';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_MODEL_DIR = join(REPO, 'models', 'nextscale-tiny');

/** Thrown for problems the CLI itself finds (a missing folder); printed like a typed error. */
class CliError extends Error {}

/** A URL for the store: http(s) as given, a directory as a file: URL ending in '/'. */
export function modelLocation(model: string | undefined): string {
  if (model && /^https?:\/\//i.test(model)) return model.endsWith('/') ? model : `${model}/`;
  const dir = resolve(model ?? DEFAULT_MODEL_DIR);
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new CliError(
      model === undefined
        ? `The bundled model is missing: ${dir} has no manifest.json. Export it (python3 tools/export.py, see the README) or pass --model <dir|url>.`
        : `No model at ${dir}: the folder has no manifest.json. Pass a model folder (config.json, *.safetensors, manifest.json) or its URL.`,
    );
  }
  return pathToFileURL(dir).href + '/';
}

function mb(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MB`;
}

async function generate(a: GenerateArgs, signal: AbortSignal): Promise<void> {
  const log = a.quiet ? () => {} : (s: string) => process.stderr.write(`${s}\n`);
  const location = modelLocation(a.model);
  // Dawn's Vulkan loader complains on stderr without one; it only needs a writable directory.
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  const gpu = await createNodeGpu();
  const engine = new InThreadEngine({ gpu, storage: 'memory', fetch: createFileFetch() });
  try {
    let last: LoadProgress | undefined;
    const info = await engine.loadModel(location, { signal, onProgress: (p) => (last = p.totalBytes ? p : last ?? p) });
    log(`model ${info.name} (${info.imageSize}×${info.imageSize}, scales ${info.scales.join(',')}) from ${location}${last ? `, ${mb(last.totalBytes)}` : ''}`);
    const seed = a.seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
    const opts: GenerateImageOptions = {
      prompt: a.prompt,
      classLabel: a.classLabel,
      seed,
      cfg: a.cfg,
      topK: a.topK,
      topP: a.topP,
      temperature: a.temperature,
      previews: a.previews !== undefined,
      signal,
    };
    if (a.previews) mkdirSync(a.previews, { recursive: true });
    const onScale = (e: ScaleEvent) => {
      log(`scale ${e.scale + 1}/${e.scales} (${e.grid}×${e.grid}): forward ${e.timings.forwardMs.toFixed(1)} ms, preview ${e.timings.previewMs.toFixed(1)} ms`);
      if (a.previews && e.preview) writeFileSync(join(a.previews, `scale-${e.scale}.png`), encodePng(e.preview.width, e.preview.height, e.preview.data));
    };
    const r = await engine.generateImage(opts, onScale);
    mkdirSync(dirname(resolve(a.out)), { recursive: true });
    writeFileSync(a.out, encodePng(r.image.width, r.image.height, r.image.data));
    if (a.tokens) {
      mkdirSync(dirname(resolve(a.tokens)), { recursive: true });
      writeFileSync(a.tokens, JSON.stringify({ scales: r.codes }) + '\n');
    }
    log(`wrote ${a.out} (seed ${r.seed}, ${r.timings.totalMs.toFixed(0)} ms)`);
  } finally {
    await engine.dispose().catch(() => {});
  }
}

/** Runs the CLI and returns its exit code (printing one line per error). */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const args = parseCli(argv);
    if (args.command === 'help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    await generate(args, controller.signal);
    return 0;
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    if (e instanceof UsageError) {
      process.stderr.write(`nextscale: ${msg}\nRun "nextscale --help" for the options.\n`);
      return 64;
    }
    process.stderr.write(`nextscale: ${msg}\n`);
    if (process.env.NEXTSCALE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    if (e instanceof WebGPUUnavailableError) return 2;
    if (e instanceof CancelledError) return 130;
    if (e instanceof NextscaleError || e instanceof CliError) return 1;
    if (!process.env.NEXTSCALE_DEBUG && e instanceof Error && e.stack) process.stderr.write('(set NEXTSCALE_DEBUG=1 for the stack trace)\n');
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
