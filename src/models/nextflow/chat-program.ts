/**
 * A conversation as the token program the model reads (docs/model-format.md, "Chat"):
 *   <bos> <user> [<boi> image <eoi>] words… <assistant> (words… | <boi> image <eoi>) <eos> <user> … <assistant>
 * Every item carries its RoPE position: text advances one per token; an image opened by <boi> at
 * position t has its blocks at p0 = t + 1 and the text after it resumes at p0 + max(C, S), like
 * tools/nextscale_tools/seq.py chat_layout. The unconditional row for CFG is the same program with
 * the last user message's words replaced by <null>.
 */
import type { ChatMessage } from '../../engine/types';
import type { NextFlowConfig } from './config';
import { ModelConfigError } from '../../engine/errors';

export type ProgramItem =
  | { kind: 'text'; cond: number[]; uncond: number[]; pos0: number }
  | { kind: 'image'; codes: number[][]; p0: number };

export interface ChatProgram {
  items: ProgramItem[];
  /** Next RoPE position. */
  nextPos: number;
  /** Tokens in the KV cache after the whole program. */
  tokens: number;
}

export class ProgramBuilder {
  readonly items: ProgramItem[] = [];
  nextPos = 0;
  tokens = 0;

  constructor(private cfg: NextFlowConfig) {}

  /** Tokens per image in the cache: <boi>, every block of scales 1..S−1, <eoi>. */
  get imageTokens(): number {
    const sc = this.cfg.vq.scales;
    return 2 + sc.slice(1).reduce((n, h) => n + h * h, 0);
  }

  /** Position offset from an image's first block to the text after it. */
  get imageSpan(): number {
    return Math.max(this.cfg.arch.ropeImageRange, this.cfg.vq.scales.length);
  }

  text(cond: number[], uncond = cond): void {
    if (!cond.length) return;
    const last = this.items[this.items.length - 1];
    if (last?.kind === 'text' && last.pos0 + last.cond.length === this.nextPos) {
      last.cond.push(...cond);
      last.uncond.push(...uncond);
    } else this.items.push({ kind: 'text', cond: [...cond], uncond: [...uncond], pos0: this.nextPos });
    this.nextPos += cond.length;
    this.tokens += cond.length;
  }

  /** <boi>, the image's blocks and <eoi>. */
  image(codes: number[][]): void {
    const v = this.cfg.vocab;
    this.text([v.boi]);
    const p0 = this.nextPos;
    this.items.push({ kind: 'image', codes, p0 });
    this.tokens += this.imageTokens - 2;
    this.nextPos = p0 + this.imageSpan;
    this.text([v.eoi]);
  }

  build(): ChatProgram {
    return { items: this.items, nextPos: this.nextPos, tokens: this.tokens };
  }
}

/**
 * The program of `messages` followed by the opening <assistant> of the reply. Image parts must
 * already carry codes (the engine encodes attached images first). `encode` tokenizes text.
 */
export function chatProgram(cfg: NextFlowConfig, messages: ChatMessage[], encode: (text: string) => number[]): ChatProgram {
  const v = cfg.vocab;
  const { user, assistant } = v;
  if (user === undefined || assistant === undefined) throw new ModelConfigError('the vocab has no <user>/<assistant> tokens, so this model cannot chat');
  let lastUser = -1;
  messages.forEach((m, i) => m.role === 'user' && (lastUser = i));
  const b = new ProgramBuilder(cfg);
  b.text([v.bos]);
  messages.forEach((m, i) => {
    b.text([m.role === 'user' ? user : assistant]);
    for (const p of m.parts) {
      if (p.type === 'image') {
        if (!p.codes) throw new Error('chatProgram: image parts must carry codes (encode them first)');
        b.image(p.codes);
      } else {
        const ids = encode(p.text);
        b.text(ids, i === lastUser ? ids.map(() => v.null) : ids);
      }
    }
    if (m.role === 'assistant') b.text([v.eos]);
  });
  b.text([assistant]);
  return b.build();
}
