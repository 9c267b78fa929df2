// The chat goldens in the browser (e2e/chat-goldens.spec.ts calls window.__nextscaleChatGoldens):
// the bundled model on this page's WebGPU device, every chat_*.json case through runChat, and the
// GPU encoder on caption_input.png (decoded by the browser) against the reference's codes.
import { createGpuContext } from '../../src/gpu/device';
import { loadModelFiles } from '../../src/store';
import { NextFlowModel } from '../../src/models/nextflow/model';
import { encodeImage, runChat, type ChatCapture } from '../../src/engine/chat-driver';
import { WebGpuBackend } from '../../src/backends/webgpu/backend';
import { nextflowOnGpu } from '../../src/models/nextflow/family';
import type { ByteSource } from '../../src/models/weights';
import { pngPixels } from '../goldens/browser-png';
import { CHAT_CAPTURE_LOGITS, compareChatCase, goldenChatOptions, goldenMessages, type ChatGoldenCase } from '../goldens/chat-compare';

declare global {
  interface Window {
    __nextscaleChatGoldens(o: { model: string; goldens: string; cases: string[] }): Promise<Array<{ name: string; problems: string[]; text: string }>>;
  }
}

window.__nextscaleChatGoldens = async ({ model: dir, goldens, cases }) => {
  const ctx = await createGpuContext();
  const files = await loadModelFiles(`/${dir}/`, { storage: null });
  const cfgFile = files.config as { files: { tokenizer: string } };
  const model = NextFlowModel.load(ctx, { config: files.config, tokenizer: files.files.get(cfgFile.files.tokenizer)!.json(), weights: new Map<string, ByteSource>([...files.files]) });
  const backend = new WebGpuBackend(ctx);
  const loaded = nextflowOnGpu(ctx, model);
  const out = [];
  try {
    for (const name of cases) {
      const g = (await (await fetch(`/${goldens}/${name}.json`)).json()) as ChatGoldenCase;
      const cap: ChatCapture = { captureLogits: CHAT_CAPTURE_LOGITS, tokens: [] };
      const reply = await runChat(backend, loaded, goldenMessages(g, model.config.vq.imageSize), goldenChatOptions(g), undefined, cap);
      const images = reply.message.parts.flatMap((p) => (p.type === 'image' ? [p.codes!] : []));
      const text = reply.message.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(' ');
      const problems = compareChatCase(g, cap, images);
      if (text !== g.text) problems.push(`text: got "${text}", want "${g.text}"`);
      out.push({ name, problems, text });
    }
    const g = (await (await fetch(`/${goldens}/chat_caption.json`)).json()) as ChatGoldenCase;
    const want = (g.messages[0].parts.find((p) => 'codes' in p) as { codes: number[][] }).codes.flat();
    const got = (await encodeImage(backend, loaded, await pngPixels(`/${goldens}/caption_input.png`))).flat();
    const diff = want.reduce((n, c, i) => n + (got[i] !== c ? 1 : 0), 0);
    out.push({ name: 'GPU VQ encoder on caption_input.png', problems: diff ? [`${diff}/${want.length} codes differ`] : [], text: '' });
  } finally {
    model.destroy();
    ctx.destroy();
  }
  return out;
};
document.getElementById('log')!.textContent = 'ready';
