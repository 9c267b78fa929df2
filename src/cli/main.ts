/**
 * `nextscale` in Node: the same InThreadEngine as the browser, on Dawn through the npm "webgpu"
 * package (SwiftShader on Linux machines without a GPU). Started by bin/nextscale.mjs through tsx.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BufferTooLargeError, CancelledError, DeviceLostError, DownloadTruncatedError, GpuOutOfMemoryError, NextscaleError, StorageQuotaError, UsageError, WebGPUUnavailableError, WorkerCrashedError } from '../api/errors';
import type { GenerateImageOptions, ScaleEvent } from '../api/types';
import { parseCli, USAGE, type CaptionArgs, type GenerateArgs } from './args';
import { encodePng } from './png';
import { fitSquare } from '../formats/image-fit';
import { openEngine } from './open-engine';
import { readImageFile } from './image-file';
import { chatCommand } from './chat';
import { convertCommand } from './convert';
import { encodeTextCommand } from './encode-text';
import { readTextFeatures } from './text-features';

export { DEFAULT_MODEL_DIR, modelLocation } from './open-engine';

async function caption(a: CaptionArgs, signal: AbortSignal): Promise<void> {
  const log = a.quiet ? () => {} : (s: string) => process.stderr.write(`${s}\n`);
  const png = await readImageFile(a.image);
  const { engine, info } = await openEngine(a.model, signal, log, { device: a.device });
  try {
    const image = fitSquare(png, info.imageSize);
    const seed = a.seed ?? 0;
    const r = await engine.chat([{ role: 'user', parts: [{ type: 'image', image }, { type: 'text', text: a.question }] }], { seed, temperature: a.temperature, signal });
    if (r.stopReason === 'cancelled') throw new CancelledError('Captioning');
    const text = r.message.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(' ');
    process.stdout.write(`${text}\n`);
    log(`(${png.width}×${png.height} → ${info.imageSize}×${info.imageSize}, seed ${seed}, ${r.stopReason})`);
  } finally {
    await engine.dispose().catch(() => {});
  }
}

async function generate(a: GenerateArgs, signal: AbortSignal): Promise<void> {
  const log = a.quiet ? () => {} : (s: string) => process.stderr.write(`${s}\n`);
  const textFeatures = a.textFeatures ? readTextFeatures(a.textFeatures) : undefined;
  const { engine } = await openEngine(a.model, signal, log, { vae: a.vae, scales: a.patchNums, dtype: a.dtype, device: a.device });
  try {
    const seed = a.seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
    const opts: GenerateImageOptions = {
      prompt: a.prompt,
      classLabel: a.classLabel,
      textFeatures,
      resolution: a.resolution,
      aspect: a.aspect,
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
      const [h, w] = e.shape ?? [e.grid, e.grid];
      log(`scale ${e.scale + 1}/${e.scales} (${h}×${w}): forward ${e.timings.forwardMs.toFixed(1)} ms, preview ${e.timings.previewMs.toFixed(1)} ms`);
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

/** Errors of the machine, not of the input or the model: no WebGPU, a lost or full GPU, a dropped network. */
const ENVIRONMENT = [WebGPUUnavailableError, DeviceLostError, GpuOutOfMemoryError, BufferTooLargeError, DownloadTruncatedError, StorageQuotaError, WorkerCrashedError];

/**
 * Runs the CLI and returns its exit code (printing one line per error): 0 ok, 1 bad input or a bad model,
 * 2 the environment (ENVIRONMENT), 130 cancelled.
 */
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
    if (args.command === 'caption') await caption(args, controller.signal);
    else if (args.command === 'chat') return await chatCommand(args, controller.signal);
    else if (args.command === 'convert') await convertCommand(args);
    else if (args.command === 'encode-text') await encodeTextCommand(args);
    else await generate(args, controller.signal);
    return 0;
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    // Every error line names its stable code, so scripts can tell E_INTEGRITY from E_MODEL_CONFIG.
    const code = e instanceof NextscaleError ? e.code : 'E_INTERNAL';
    if (e instanceof UsageError) {
      process.stderr.write(`nextscale: ${code}: ${msg}\nRun "nextscale --help" for the options.\n`);
      return 1;
    }
    process.stderr.write(`nextscale: ${code}: ${msg}\n`);
    if (process.env.NEXTSCALE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    if (ENVIRONMENT.some((cls) => e instanceof cls)) return 2;
    if (e instanceof CancelledError) return 130;
    if (e instanceof NextscaleError) return 1;
    if (!process.env.NEXTSCALE_DEBUG && e instanceof Error && e.stack) process.stderr.write('(set NEXTSCALE_DEBUG=1 for the stack trace)\n');
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
