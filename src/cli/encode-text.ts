/**
 * `nextscale encode-text`: a T5 encoder's last hidden state for token ids, written as Infinity's text features
 * (features [L, d_model] f32, ids [L] i32), on the CPU backend. The folder is read as the hub publishes it, and
 * only the encoder's tensors are read (hub-folder.ts).
 */
import { availableParallelism } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidOptionError, UsageError } from '../api/errors';
import { parseT5Config } from '../models/t5/config';
import { encodeSafetensors } from '../formats/safetensors-write';
import { wasmRuntime } from '../backends/wasm/runtime';
import { WasmT5Encoder } from '../backends/wasm/t5/encoder';
import type { EncodeTextArgs } from './args';
import { openHubFolder } from './hub-folder';

export async function encodeTextCommand(a: EncodeTextArgs): Promise<void> {
  const log = a.quiet ? () => {} : (s: string) => process.stderr.write(`${s}\n`);
  if (!a.ids) throw new UsageError("--prompt needs T5's SentencePiece tokenizer, which this build does not have yet: pass the token ids with --ids");
  const folder = openHubFolder(a.model);
  try {
    const config = parseT5Config(folder.config);
    const bad = a.ids.find((x) => x >= config.vocabSize);
    if (bad !== undefined) throw new InvalidOptionError('ids', bad, `token ids below the vocabulary size ${config.vocabSize}`);
    const t0 = performance.now();
    const rt = await wasmRuntime({ threads: availableParallelism() });
    const enc = await WasmT5Encoder.load(rt, config, (n) => folder.get(n));
    log(`T5 encoder (${config.numLayers} layers, d_model ${config.dModel}) ready in ${(performance.now() - t0).toFixed(0)} ms; ${folder.bytesRead()} bytes read of the folder's weights`);
    const t1 = performance.now();
    const features = await enc.encode(a.ids);
    await enc.release();
    const L = a.ids.length;
    const bytes = encodeSafetensors([
      { name: 'features', dtype: 'F32', shape: [L, config.dModel], data: new Uint8Array(features.buffer, features.byteOffset, features.byteLength) },
      { name: 'ids', dtype: 'I32', shape: [L], data: new Uint8Array(Int32Array.from(a.ids).buffer) },
    ]);
    mkdirSync(dirname(resolve(a.out)), { recursive: true });
    writeFileSync(a.out, bytes);
    log(`wrote ${a.out}: features [${L}, ${config.dModel}] (encoded in ${(performance.now() - t1).toFixed(0)} ms)`);
  } finally {
    folder.close();
  }
}
