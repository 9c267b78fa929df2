// The ONNX decoder graph (src/backends/wasm/nextflow/step-graph.ts) of the bundled model on onnxruntime-web's wasm
// EP in Node, against the PyTorch model (tools/onnx_reference.py): one whole sequence (a chat turn with an
// attached image, a question and a reply drawing a second image) run as two steps, the second on the first's
// KV cache; the logits of 16 rows spread over it must match. And the VQ decoder graph on one f-hat.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { loadModelFiles } from '../../src/store';
import { parseNextFlowConfig } from '../../src/models/nextflow/config';
import { readTensorsF32, weightFiles, type ByteSource } from '../../src/models/weights';
import { parseSafetensorsHeader } from '../../src/formats/safetensors';
import { buildNextFlowStepGraph } from '../../src/backends/wasm/nextflow/step-graph';
import { buildVqDecoderGraph } from '../../src/backends/wasm/nextflow/vq-decoder-graph';
import { localDirFetch, LOCAL_BASE } from './local-fetch';

const modelDir = process.argv[2] ?? 'models/nextscale-tiny';
const dir = mkdtempSync(join(tmpdir(), 'nextscale-onnx-'));
execFileSync('/usr/bin/python3', ['tools/onnx_reference.py', '--model', modelDir, '--out', join(dir, 'ref.json')], { stdio: 'inherit' });
const ref = JSON.parse(readFileSync(join(dir, 'ref.json'), 'utf8')) as { L: number; ids: number[]; scale: number[]; group: number[]; pos: number[]; feats: number[]; rows: number[]; logits: number[][]; fhat: number[]; fhat_shape: number[]; image: number[] };
rmSync(dir, { recursive: true, force: true });

const files = await loadModelFiles(LOCAL_BASE, { fetch: localDirFetch(modelDir), storage: null });
const cfg = parseNextFlowConfig(files.config);
const readAll = (file: string) => {
  const wf = weightFiles([file], new Map<string, ByteSource>([...files.files]));
  const src = wf[0].source;
  const len = Number(new DataView(src.slice(0, 8).buffer).getBigUint64(0, true));
  const header = parseSafetensorsHeader(file, src.slice(0, 8 + len), src.size);
  const tensors = readTensorsF32(wf, [...header.tensors.keys()]);
  return (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`no tensor ${name}`);
    return { shape: header.tensors.get(name)!.shape, values: t };
  };
};
const weight = readAll('model.safetensors');
const t0 = performance.now();
const bytes = buildNextFlowStepGraph(cfg.arch, cfg.vocab.size, cfg.vq.codeDim, weight);
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const buildMs = performance.now() - t0;

const { headDim: hd, ropeTheta, ropeSections, layers, kvHeads: KV } = cfg.arch;
const half = hd / 2;
const axis = ropeSections.flatMap((n, a) => Array(n).fill(a) as number[]);
function rope(rows: number[]): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(rows.length * hd);
  const sin = new Float32Array(rows.length * hd);
  rows.forEach((r, i) => {
    for (let j = 0; j < half; j++) {
      const ang = Math.fround(ref.pos[3 * r + axis[j]] * Math.fround(ropeTheta ** (-2 * j / hd)));
      cos[i * hd + j] = cos[i * hd + j + half] = Math.cos(ang);
      sin[i * hd + j] = sin[i * hd + j + half] = Math.sin(ang);
    }
  });
  return { cos, sin };
}

const split = Math.floor(ref.L * 0.6);
const got = new Map<number, Float32Array>();
let past: Record<string, ort.Tensor> = {};
for (let l = 0; l < layers; l++) for (const kind of ['key', 'value']) past[`past_${kind}_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, KV, 0, hd]);
for (const [a, b] of [[0, split], [split, ref.L]]) {
  const T = b - a;
  const rows = Array.from({ length: T }, (_, i) => a + i);
  const mask = new Float32Array(T * b);
  rows.forEach((q, i) => {
    for (let k = 0; k < b; k++) mask[i * b + k] = ref.group[k] <= ref.group[q] ? 0 : -Infinity;
  });
  const { cos, sin } = rope(rows);
  const C = cfg.vq.codeDim;
  const out = await session.run({
    ids: new ort.Tensor('int64', BigInt64Array.from(rows.map((r) => BigInt(ref.ids[r]))), [1, T]),
    scale: new ort.Tensor('int64', BigInt64Array.from(rows.map((r) => BigInt(ref.scale[r]))), [1, T]),
    feats: new ort.Tensor('float32', Float32Array.from(ref.feats.slice(a * C, b * C)), [1, T, C]),
    cos: new ort.Tensor('float32', cos, [1, T, hd]),
    sin: new ort.Tensor('float32', sin, [1, T, hd]),
    mask: new ort.Tensor('float32', mask, [1, 1, T, b]),
    ...past,
  });
  const V = cfg.vocab.size;
  const logits = out.logits.data as Float32Array;
  for (const r of ref.rows) if (r >= a && r < b) got.set(r, logits.subarray((r - a) * V, (r - a + 1) * V));
  past = {};
  for (let l = 0; l < layers; l++) for (const kind of ['key', 'value']) past[`past_${kind}_${l}`] = out[`present_${kind}_${l}`];
}
let worst = 0;
ref.rows.forEach((r, i) => {
  const want = ref.logits[i];
  const scaleOf = Math.max(...want.map(Math.abs));
  const g = got.get(r)!;
  for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(g[j] - want[j]) / scaleOf);
});
const ok = Number.isFinite(worst) && worst < 1e-4 && got.size === ref.rows.length;
console.log(`${ok ? 'ok  ' : 'FAIL'} ONNX decoder graph on the wasm EP vs PyTorch: ${ref.L} tokens in two steps (KV cache), ${ref.rows.length} rows of logits, worst |Δ| ${worst.toExponential(2)} of each row's largest (graph ${(bytes.length / 2 ** 20).toFixed(1)} MB, built and loaded in ${buildMs.toFixed(0)} ms)`);

// The VQ decoder graph: the reference's f-hat → its image.
const vqSession = await ort.InferenceSession.create(buildVqDecoderGraph(cfg.vq, readAll('vq.safetensors')), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const img = (await vqSession.run({ fhat: new ort.Tensor('float32', Float32Array.from(ref.fhat), ref.fhat_shape) })).image.data as Float32Array;
let worstImg = 0;
for (let i = 0; i < ref.image.length; i++) worstImg = Math.max(worstImg, Math.abs(img[i] - ref.image[i]));
const okImg = img.length === ref.image.length && worstImg < 1e-4;
console.log(`${okImg ? 'ok  ' : 'FAIL'} ONNX VQ decoder graph on the wasm EP vs PyTorch: ${ref.fhat_shape.join('×')} f-hat → ${img.length / 3} pixels, worst |Δ| ${worstImg.toExponential(2)} (pixels in [−1, 1])`);
const n = Number(ok) + Number(okImg);
console.log(`${n} passed, ${2 - n} failed`);
process.exit(n === 2 ? 0 : 1);
