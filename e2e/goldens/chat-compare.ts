/**
 * Running and comparing a chat golden case (tools/golden.py chat_goldens): the drawn token ids and
 * every reply image's codes must be equal; the captured logits (first candidates of every text step,
 * first cells of every scale) within LOGIT_TOL_OF_MAX of their magnitude, the text-to-image bound:
 * chat contexts are longer (~420 tokens in the edit case) but measured no further off (≤ 3.3e-6,
 * compare.ts). Used in Node and the browser.
 */
import type { ChatMessage, ChatPart, RgbaImage } from '../../src/api/types';
import type { ChatCapture } from '../../src/engine/chat-driver';
import { LOGIT_TOL_OF_MAX } from './compare';

export interface ChatGoldenCase {
  messages: Array<{ role: 'user' | 'assistant'; parts: Array<{ text: string } | { codes: number[][] }> }>;
  options: { seed: number; cfg: number; top_k: number; top_p: number; temperature: number; text_temperature: number; max_tokens: number };
  tokens: number[];
  text: string;
  images: number[][][];
  text_logits: number[][];
  /** max |logit| over all candidates of each text step: the scale of the tolerance. */
  text_logits_max_abs: number[];
  image_logits: number[][][][];
}

export const CHAT_CAPTURE_LOGITS = 4;

/** The golden's messages as engine messages (images given by their codes; the pixels are not read). */
export function goldenMessages(g: ChatGoldenCase, imageSize: number): ChatMessage[] {
  const blank: RgbaImage = { width: imageSize, height: imageSize, data: new Uint8ClampedArray(imageSize * imageSize * 4) };
  return g.messages.map((m) => ({
    role: m.role,
    parts: m.parts.map((p): ChatPart => ('codes' in p ? { type: 'image', image: blank, codes: p.codes } : { type: 'text', text: p.text })),
  }));
}

export function goldenChatOptions(g: ChatGoldenCase) {
  const o = g.options;
  return { seed: o.seed, cfg: o.cfg, topK: o.top_k, topP: o.top_p, temperature: o.text_temperature, maxNewTokens: o.max_tokens, previews: false };
}

function closeRows(label: string, got: Float32Array | undefined, want: number[], problems: string[], rowMaxAbs = 0): void {
  if (!got) return void problems.push(`${label}: no logits captured`);
  const maxAbs = Math.max(1e-6, rowMaxAbs, ...want.map(Math.abs));
  const worst = want.reduce((w, x, i) => Math.max(w, Math.abs(got[i] - x)), 0);
  // NaN compares false with everything: written so that NaN logits fail.
  if (!(worst <= LOGIT_TOL_OF_MAX * maxAbs) || got.length < want.length) problems.push(`${label}: logits differ by ${worst.toExponential(2)} (max|logit| ${maxAbs.toFixed(2)})`);
}

export function compareChatCase(g: ChatGoldenCase, cap: ChatCapture, replyImages: number[][][]): string[] {
  const problems: string[] = [];
  const got = cap.tokens ?? [];
  if (got.join() !== g.tokens.join()) problems.push(`tokens: got [${got.join(', ')}], want [${g.tokens.join(', ')}]`);
  g.text_logits.forEach((want, n) => closeRows(`text step ${n}`, cap.text?.[n], want, problems, g.text_logits_max_abs[n]));
  if (replyImages.length !== g.images.length) problems.push(`reply has ${replyImages.length} images, golden ${g.images.length}`);
  g.images.forEach((scales, k) =>
    scales.forEach((want, s) => {
      const mine = replyImages[k]?.[s] ?? [];
      const diff = want.reduce((n, c, i) => n + (mine[i] !== c ? 1 : 0), 0);
      if (diff) problems.push(`image ${k} scale ${s}: ${diff}/${want.length} codes differ`);
      const rows = g.image_logits[k]?.[s] ?? [];
      rows.forEach((row, r) => closeRows(`image ${k} scale ${s} row ${r}`, cap.images?.[k]?.[s]?.subarray(r * row.length, (r + 1) * row.length), row, problems));
    }),
  );
  return problems;
}
