// The whole default model against its PyTorch goldens, in Node on Dawn: per-scale codes must be
// equal and the captured logits within tolerance; the final image within a small pixel tolerance.
// Usage: tsx e2e/node/run-goldens.ts [modelDir] [goldenDir]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { createNodeGpu } from '../../src/gpu/node-gpu';
import { createGpuContext } from '../../src/gpu/device';
import { loadModelFiles } from '../../src/store';
import { NextFlowModel } from '../../src/models/nextflow/model';
import { nextflowLoaded, webgpuSteps, type NextFlowBackendSteps } from '../../src/models/nextflow/family';
import type { NextFlowConfig } from '../../src/models/nextflow/config';
import type { TextTokenizer } from '../../src/tokenizer/text-tokenizer';
import type { GpuContext } from '../../src/gpu/device';
import type { Backend } from '../../src/backends/backend';
import { WasmBackend } from '../../src/backends/wasm/backend';
import { wasmRuntime } from '../../src/backends/wasm/runtime';
import { WasmNextFlowModel } from '../../src/backends/wasm/nextflow/model';
import { wasmNextflowSteps } from '../../src/backends/wasm/nextflow/steps';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { driveScales } from '../../src/engine/scale-driver';
import { localDirFetch, LOCAL_BASE } from './local-fetch';
import { compareGoldenCase, type GoldenCase } from '../goldens/compare';
import type { ByteSource } from '../../src/models/weights';
import { decodePng } from '../../src/cli/png';
import { IMAGE_MAX_DIFF, imageDiff } from '../goldens/compare';
import { encodeImage, endChatSession, runChat, type ChatCapture, type ChatSession } from '../../src/engine/chat-driver';
import type { ChatMessage, DroppedTurns } from '../../src/api/types';
import { CHAT_CAPTURE_LOGITS, compareChatCase, goldenChatOptions, goldenMessages, type ChatGoldenCase } from '../goldens/chat-compare';

interface ConversationGolden {
  options: { seed: number; cfg: number; top_k: number; top_p: number; temperature: number; text_temperature: number; max_tokens: number };
  turns: Array<{ user: string; seed: number; tokens: number[]; text: string; images: number[][][]; dropped: DroppedTurns | null }>;
}

// --device wasm: the same goldens on the CPU backend (onnxruntime-web's wasm EP).
const args = process.argv.slice(2);
const deviceAt = args.indexOf('--device');
const device = deviceAt >= 0 ? args.splice(deviceAt, 2)[1] : 'webgpu';
if (device !== 'webgpu' && device !== 'wasm') throw new Error(`--device ${device}: expected webgpu or wasm`);
const modelDir = args[0] ?? 'models/nextscale-tiny';
const goldenDir = args[1] ?? 'e2e/goldens/nextscale-tiny';
const files = await loadModelFiles(LOCAL_BASE, { fetch: localDirFetch(modelDir), storage: null });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let backend: Backend<any, any>, steps: NextFlowBackendSteps<any, any>, config: NextFlowConfig, tokenizer: TextTokenizer, ctx: GpuContext | undefined;
if (device === 'wasm') {
  const rt = await wasmRuntime({ threads: availableParallelism() });
  const m = await WasmNextFlowModel.load(rt, { config: files.config as Record<string, unknown>, json: (p) => files.files.get(p)?.json(), files: files.files });
  ({ config, tokenizer } = m);
  backend = new WasmBackend(rt);
  steps = wasmNextflowSteps(m);
  console.log(`device: wasm (${rt.threads} threads)`);
} else {
  ctx = await createGpuContext({ gpu: await createNodeGpu() });
  const weights = new Map<string, ByteSource>([...files.files]);
  const cfg = files.config as { files: { tokenizer: string } };
  const model = NextFlowModel.load(ctx, { config: files.config, tokenizer: files.files.get(cfg.files.tokenizer)!.json(), weights });
  ({ config, tokenizer } = model);
  backend = new WebGpuBackend(ctx);
  steps = webgpuSteps(ctx, model);
}
const loaded = nextflowLoaded(config, tokenizer, steps);
let passed = 0;
let failed = 0;
for (const f of readdirSync(goldenDir).filter((x) => x.endsWith('.json') && x !== 'index.json' && x !== 'caption.json' && x !== 'conversation.json' && !x.startsWith('chat_')).sort()) {
  const g = JSON.parse(readFileSync(join(goldenDir, f), 'utf8')) as GoldenCase;
  const outs = [];
  const s = g.sampling;
  const img = steps.image(g.token_ids, { seed: g.seed, cfg: s.cfg, topK: s.top_k, topP: s.top_p, temperature: s.temperature });
  for await (const o of driveScales(backend, img, { previews: false, captureLogits: 4 })) outs.push(o);
  img.release();
  const problems = compareGoldenCase(g, outs);
  const want = decodePng(readFileSync(join(goldenDir, f.replace(/\.json$/, '.png'))));
  const got = outs[outs.length - 1].rgba;
  if (!got) problems.push('no final image');
  else {
    const d = imageDiff(got, want.data);
    if (d.max > IMAGE_MAX_DIFF) problems.push(`final image differs by up to ${d.max}/255 (mean ${d.mean.toFixed(3)}), over ${IMAGE_MAX_DIFF}`);
  }
  console.log(`${problems.length ? 'FAIL' : 'ok  '} golden ${f}${problems.length ? '\n     ' + problems.join('\n     ') : ''}`);
  problems.length ? failed++ : passed++;
}
for (const f of readdirSync(goldenDir).filter((x) => x.startsWith('chat_') && x.endsWith('.json')).sort()) {
  const g = JSON.parse(readFileSync(join(goldenDir, f), 'utf8')) as ChatGoldenCase;
  const cap: ChatCapture = { captureLogits: CHAT_CAPTURE_LOGITS, tokens: [] };
  const reply = await runChat(backend, loaded, goldenMessages(g, config.vq.imageSize), goldenChatOptions(g), undefined, cap);
  const images = reply.message.parts.flatMap((p) => (p.type === 'image' ? [p.codes!] : []));
  const problems = compareChatCase(g, cap, images);
  console.log(`${problems.length ? 'FAIL' : 'ok  '} golden ${f} (${g.tokens.length} tokens, ${g.images.length} images)${problems.length ? '\n     ' + problems.join('\n     ') : ''}`);
  problems.length ? failed++ : passed++;
}
// A five-turn conversation as `nextscale chat` runs it (tools/golden.py conversation_golden): each reply
// continues the conversation with the engine's own earlier replies, under the context policy; every turn's
// drawn tokens, images and dropped turns must equal the reference's.
// Run twice: reading the whole conversation every turn, then keeping the KV cache between turns as the
// engine does (a session): both must give the reference's tokens, and the second must reuse the cache.
for (const reuse of [false, true]) {
  const g = JSON.parse(readFileSync(join(goldenDir, 'conversation.json'), 'utf8')) as ConversationGolden;
  const o = g.options;
  const conv: ChatMessage[] = [];
  const problems: string[] = [];
  const session: ChatSession<unknown, unknown> = {};
  const reused: number[] = [];
  for (const [t, turn] of g.turns.entries()) {
    conv.push({ role: 'user', parts: [{ type: 'text', text: turn.user }] });
    const cap: ChatCapture = { tokens: [] };
    const r = await runChat(backend, loaded, conv, { seed: turn.seed, cfg: o.cfg, topK: o.top_k, topP: o.top_p, temperature: o.text_temperature, maxNewTokens: o.max_tokens, previews: false }, undefined, cap, reuse ? session : undefined);
    reused.push(r.reusedTokens ?? 0);
    conv.push(r.message);
    const images = r.message.parts.flatMap((p) => (p.type === 'image' ? [p.codes!] : []));
    if (cap.tokens!.join() !== turn.tokens.join()) problems.push(`turn ${t + 1}: tokens [${cap.tokens!.join(', ')}], want [${turn.tokens.join(', ')}]`);
    if (JSON.stringify(images) !== JSON.stringify(turn.images)) problems.push(`turn ${t + 1}: the reply's image codes differ from the reference's`);
    if (JSON.stringify(r.dropped ?? null) !== JSON.stringify(turn.dropped)) problems.push(`turn ${t + 1}: dropped ${JSON.stringify(r.dropped ?? null)}, want ${JSON.stringify(turn.dropped)}`);
    if (r.contextTokens > r.contextLength) problems.push(`turn ${t + 1}: ${r.contextTokens} tokens in a ${r.contextLength}-token context`);
  }
  // Turn 2 follows turn 1 with nothing dropped: it must keep the cached prefix (up to turn 1's question).
  if (reuse && !(reused[1] > 0)) problems.push(`turn 2 reused no cached tokens (${reused.join(', ')})`);
  if (!reuse && reused.some((n) => n)) problems.push(`without a session, tokens were reused (${reused.join(', ')})`);
  endChatSession(session);
  const drops = g.turns.filter((x) => x.dropped).length;
  console.log(`${problems.length ? 'FAIL' : 'ok  '} golden conversation.json ${reuse ? 'with the KV cache kept between turns' : 'read whole every turn'} (${g.turns.length} turns, ${drops} with older turns left out, cached tokens reused per turn: ${reused.join(', ')})${problems.length ? '\n     ' + problems.join('\n     ') : ''}`);
  problems.length ? failed++ : passed++;
}
// The encoder must turn the caption golden's input PNG into the reference's codes.
{
  const g = JSON.parse(readFileSync(join(goldenDir, 'chat_caption.json'), 'utf8')) as ChatGoldenCase;
  const want = (g.messages[0].parts.find((p) => 'codes' in p) as { codes: number[][] }).codes;
  const png = decodePng(readFileSync(join(goldenDir, 'caption_input.png')));
  const got = await encodeImage(backend, loaded, { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data) });
  const diff = want.flat().reduce((n, c, i) => n + (got.flat()[i] !== c ? 1 : 0), 0);
  console.log(`${diff ? 'FAIL' : 'ok  '} ${device} VQ encoder: caption_input.png → codes (${diff}/${want.flat().length} differ)`);
  diff ? failed++ : passed++;
}
console.log(`${passed} passed, ${failed} failed`);
loaded.destroy();
ctx?.destroy();
process.exit(failed ? 1 : 0);
