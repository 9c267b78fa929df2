// Infinity checkpoints as published, read by shape: chunked or flat block keys, 1H11 or 11H1 logit scales,
// VAE convs as x.conv.weight, x.weight or both (and norms as x.norm.weight or x.weight), decoder-only VAE
// files, encoder keys ignored; every missing, unexpected, mis-shaped or unsupported key refused with a typed
// error naming it; the converter's dtypes; the schedules of the official table and their RoPE positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PthTensor } from '../formats/pth';
import type { StorageDtype } from '../formats/pickle';
import { CheckpointLayoutError } from '../api/errors';
import { infinityShapes, inspectInfinity, inspectInfinityVae } from '../models/infinity/checkpoint-layout';
import { convertInfinityPth, isInfinityCheckpoint } from '../models/infinity/convert-pth';
import { infinitySchedule, parseAspect, ropePositions } from '../models/infinity/schedule';
import { parseSafetensors } from '../formats/safetensors';

const BYTES: Partial<Record<StorageDtype, number>> = { F32: 4, F16: 2, BF16: 2, I64: 8 };

function tensor(name: string, shape: number[], dtype: StorageDtype = 'F32'): PthTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, dtype, shape, bytes: async () => new Uint8Array(n * BYTES[dtype]!) };
}

const SIZES = { depth: 4, dim: 64, heads: 4, ffn: 256, bits: 32, textDim: 256, textMaxLen: 512, poolHeads: 2, levels: 15 };

/** The official transformer keys, blocks in `chunks` chunks (0: flat blocks.{i}). */
function modelSd(chunks: number, tweak: (m: Map<string, PthTensor>) => void = () => {}): Map<string, PthTensor> {
  const m = new Map<string, PthTensor>();
  const per = chunks ? SIZES.depth / chunks : 0;
  for (const [k, shape] of infinityShapes(SIZES)) {
    const name = chunks ? k.replace(/^blocks\.(\d+)\./, (_, i: string) => `block_chunks.${Math.floor(Number(i) / per)}.module.${Number(i) % per}.`) : k;
    m.set(name, tensor(name, shape));
  }
  tweak(m);
  return m;
}

/** A BSQ VAE (base width 32, levels 1,2,4,4,4, two res blocks) in the given key form, plus extras. */
function vaeSd(form: 'wrapped' | 'plain' | 'both', opts: { bits?: number; extra?: string[] } = {}): Map<string, PthTensor> {
  const ch = 32;
  const mult = [1, 2, 4, 4, 4];
  const z = opts.bits ?? 32;
  const m = new Map<string, PthTensor>();
  const put = (mod: string, wrap: 'conv' | 'norm', shape: number[]) => {
    for (const [p, s] of [['weight', shape], ['bias', [shape[0]]]] as const) {
      if (form !== 'plain') m.set(`${mod}.${wrap}.${p}`, tensor(`${mod}.${wrap}.${p}`, [...s]));
      if (form !== 'wrapped') m.set(`${mod}.${p}`, tensor(`${mod}.${p}`, [...s]));
    }
  };
  let cin = ch * mult[4];
  put('decoder.conv_in', 'conv', [cin, z, 3, 3]);
  const res = (p: string, a: number, b: number) => {
    put(`${p}.norm1`, 'norm', [a]);
    put(`${p}.conv1`, 'conv', [b, a, 3, 3]);
    put(`${p}.norm2`, 'norm', [b]);
    put(`${p}.conv2`, 'conv', [b, b, 3, 3]);
    if (a !== b) put(`${p}.nin_shortcut`, 'conv', [b, a, 1, 1]);
  };
  res('decoder.mid.block_1', cin, cin);
  res('decoder.mid.block_2', cin, cin);
  for (let i = 4; i >= 0; i--) {
    for (let j = 0; j < 3; j++) {
      res(`decoder.up.${i}.block.${j}`, cin, ch * mult[i]);
      cin = ch * mult[i];
    }
    if (i > 0) put(`decoder.up.${i}.upsample.conv`, 'conv', [cin, cin, 3, 3]);
  }
  put('decoder.norm_out', 'norm', [cin]);
  put('decoder.conv_out', 'conv', [3, cin, 3, 3]);
  m.set('quantizer.lfq.mask', tensor('quantizer.lfq.mask', [z], 'I64'));
  for (const k of opts.extra ?? []) m.set(k, tensor(k, [4]));
  return m;
}

const code = (e: unknown) => (e instanceof CheckpointLayoutError ? e.message : `not a CheckpointLayoutError: ${String(e)}`);

test('transformer: chunked and flat block keys give the same layout; every size is read from the shapes', () => {
  for (const chunks of [0, 1, 2, 4]) {
    const l = inspectInfinity(modelSd(chunks));
    assert.deepEqual({ depth: l.depth, dim: l.dim, heads: l.heads, ffn: l.ffn, bits: l.bits, textDim: l.textDim, textMaxLen: l.textMaxLen, poolHeads: l.poolHeads, levels: l.levels }, SIZES, `chunks ${chunks}`);
    assert.ok(l.tensors.has('blocks.3.sa.mat_qkv.weight'));
    assert.equal(l.tensors.size, infinityShapes(SIZES).size);
  }
  // The official buffers ride along and are dropped; the flash layout 11H1 of the logit scale is accepted.
  const l = inspectInfinity(modelSd(2, (m) => {
    m.set('block_chunks.0.module.0.sa.zero_k_bias', tensor('x', [64]));
    m.set('block_chunks.1.module.1.sa.scale_mul_1H11', tensor('x', [1, 1, 4, 1]));
  }));
  assert.equal(l.heads, 4);
  assert.ok(!l.tensors.has('blocks.0.sa.zero_k_bias'));
});

test('transformer: missing, unexpected and mis-shaped keys, and unsupported variants, are typed errors naming them', () => {
  const cases: Array<[string, (m: Map<string, PthTensor>) => void, RegExp]> = [
    ['missing', (m) => m.delete('block_chunks.1.module.0.ffn.fc2.bias'), /missing.*blocks\.2\.ffn\.fc2\.bias/],
    ['unexpected', (m) => m.set('mystery.weight', tensor('mystery.weight', [3])), /unexpected.*mystery\.weight/],
    ['shape', (m) => m.set('block_chunks.0.module.1.ca.proj.weight', tensor('x', [64, 32])), /blocks\.1\.ca\.proj\.weight expected shape \[64,64\]/],
    ['head', (m) => m.set('head.weight', tensor('head.weight', [63, 64])), /two logits per bit/],
    ['class', (m) => m.set('class_emb.weight', tensor('class_emb.weight', [1001, 64])), /class-conditional/],
    ['swiglu', (m) => m.set('block_chunks.0.module.0.ffn.fcg.weight', tensor('x', [64, 64])), /SwiGLU/],
    ['ada_lin', (m) => {
      for (const k of [...m.keys()]) if (k.endsWith('ada_gss')) m.delete(k);
      m.set('block_chunks.0.module.0.ada_lin.1.weight', tensor('x', [384, 64]));
    }, /per-block AdaLN/],
  ];
  for (const [what, tweak, re] of cases) assert.throws(() => inspectInfinity(modelSd(2, tweak)), (e) => re.test(code(e)), what);
  assert.throws(() => inspectInfinity(new Map([['cfg_uncond', tensor('cfg_uncond', [512, 256])]])), (e) => /word_embed\.weight.*missing/.test(code(e)));
});

test('VAE: wrapped, plain or both key forms; decoder-only; encoder keys ignored; bad or unsupported keys refused', () => {
  for (const form of ['wrapped', 'plain', 'both'] as const) {
    const v = inspectInfinityVae(vaeSd(form, { extra: ['encoder.conv_in.conv.weight', 'quant_conv.weight'] }));
    assert.deepEqual([v.ch, v.chMult, v.numResBlocks, v.bits], [32, [1, 2, 4, 4, 4], 2, 32], form);
    assert.ok(v.tensors.has('decoder.up.4.block.0.conv1.conv.weight') && v.tensors.has('decoder.norm_out.norm.bias'), form);
  }
  const noMask = vaeSd('wrapped');
  noMask.delete('quantizer.lfq.mask');
  assert.equal(inspectInfinityVae(noMask).bits, 32);
  const disagree = vaeSd('both');
  disagree.set('decoder.conv_in.weight', tensor('x', [128, 16, 3, 3]));
  assert.throws(() => inspectInfinityVae(disagree), (e) => /conv_in\.conv\.weight.*disagree/.test(code(e)));
  const missing = vaeSd('plain');
  missing.delete('decoder.up.2.block.1.norm2.bias');
  assert.throws(() => inspectInfinityVae(missing), (e) => /decoder\.up\.2\.block\.1\.norm2\.norm\.bias/.test(code(e)));
  const attn = vaeSd('wrapped', { extra: ['decoder.mid.attn_1.q.conv.weight'] });
  assert.throws(() => inspectInfinityVae(attn), (e) => /attention/.test(code(e)));
  assert.throws(() => inspectInfinityVae(new Map([['encoder.x', tensor('encoder.x', [1])]])), (e) => /conv_in.*missing/.test(code(e)));
});

test('convert: a VAE of other bits is refused; dtypes: source keeps f32 (and f16), f16 halves matrices, int8 adds scales', async () => {
  const model = [...modelSd(2).values()];
  await assert.rejects(convertInfinityPth(model, [...vaeSd('wrapped', { bits: 16 }).values()], { modelFile: 'm.pth', vaeFile: 'v.pth' }), (e) => /predicts 32 bits.*decodes 16/.test(code(e)));
  const vae = [...vaeSd('both').values()];
  const dtypes = async (dtype?: 'f16' | 'int8' | 'f32' | 'source') => {
    const { files, config } = await convertInfinityPth(model, vae, { modelFile: 'm.pth', vaeFile: 'v.pth', dtype });
    const seen = new Map<string, string>();
    for (const f of (config.files as { weights: string[] }).weights) for (const t of parseSafetensors(f, files.get(f)!).tensors.values()) seen.set(t.name, t.dtype);
    return { seen, config };
  };
  const src = await dtypes();
  assert.equal(src.seen.get('infinity.blocks.0.ffn.fc1.weight'), 'F32');
  assert.equal(src.seen.get('infinity.blocks.3.sa.qkv_bias'), 'F32');
  assert.equal(src.seen.get('vae.decoder.conv_in.conv.weight'), 'F32');
  assert.deepEqual((src.config.architecture as Record<string, number>).depth, 4);
  const half = await dtypes('f16');
  assert.equal(half.seen.get('infinity.blocks.0.ffn.fc1.weight'), 'F16');
  assert.equal(half.seen.get('infinity.cfg_uncond'), 'F32');
  assert.equal(half.seen.get('infinity.lvl_embed.weight'), 'F32');
  const q = await dtypes('int8');
  assert.equal(q.seen.get('vae.decoder.up.4.block.1.conv1.conv.weight'), 'I8'); // big enough to quantize
  assert.equal(q.seen.get('vae.decoder.up.4.block.1.conv1.conv.weight.int8_scale'), 'F32');
  assert.equal(q.seen.get('infinity.blocks.0.ffn.fc1.weight'), 'F16'); // small matrices stay f16
  assert.ok(isInfinityCheckpoint(model.map((t) => t.name)));
  assert.ok(!isInfinityCheckpoint(['pos_start', 'blocks.0.attn.mat_qkv.weight', 'class_emb.weight']));
});

test('schedules: the official table (256² 1:1 = 521 tokens, 1024² = 10,521), nearest template, RoPE positions snapped and rounded half to even', () => {
  const s256 = infinitySchedule(1, 256);
  assert.deepEqual(s256.scales.map(([h]) => h), [1, 2, 4, 6, 8, 12, 16]);
  assert.equal(s256.tokens, 521);
  assert.equal(infinitySchedule(1, 1024).tokens, 10521);
  assert.deepEqual(infinitySchedule(parseAspect('16:9'), 256).scales.at(-1), [12, 21]); // h/w 0.5625: nearest template 1/1.75
  assert.deepEqual(infinitySchedule(parseAspect('4:5'), 256).scales.at(-1), [20, 16]); // h/w 1.25
  assert.deepEqual(infinitySchedule(0.8, 256).scales.at(-1), [16, 20]);
  // 1.25 at 1M ends (70, 56): scale (5, 4) rows at i·70/5 = 14i; 4 columns at j·56/4 = 14j.
  const s = infinitySchedule(1.25, 256);
  const pos = ropePositions(s);
  const start = 1 + 4 + 9; // tokens before scale 3 (5×4)
  assert.deepEqual(Array.from(pos.subarray(2 * start, 2 * start + 8)), [0, 0, 0, 14, 0, 28, 0, 42]);
  // Half to even: 1:1 scale 12 → 64/12 = 5.333…; 1.5 schedule (3, 2) of (78, 52): rows 26i, cols 26j; 1.25 scale (3,3): 70/3 = 23.33.
  const p1 = ropePositions(infinitySchedule(1, 256));
  const at12 = 1 + 4 + 16 + 36 + 64; // first token of the 12×12 scale
  assert.deepEqual(Array.from({ length: 12 }, (_, j) => p1[2 * (at12 + j) + 1]), [0, 5, 11, 16, 21, 27, 32, 37, 43, 48, 53, 59]);
  // Ties: h/w 2 ends (90, 45) at 1M; its (16, 8) scale has rows i·90/16 = 5.625i: 22.5 → 22 and 67.5 → 68 (half to even).
  const s2 = infinitySchedule(2, 256);
  const p2 = ropePositions(s2);
  const at16 = s2.tokens - 22 * 11 - 16 * 8; // first token of the 16×8 scale (before the last, 22×11)
  assert.deepEqual([4, 12].map((i) => p2[2 * (at16 + i * 8)]), [22, 68]);
  assert.deepEqual(Array.from({ length: 8 }, (_, j) => p2[2 * (at16 + j) + 1]), [0, 6, 11, 17, 22, 28, 34, 39]); // j·45/8 = 5.625j
  assert.throws(() => infinitySchedule(1, 300), /resolution/);
  assert.throws(() => parseAspect('wide'), /aspect/);
});
