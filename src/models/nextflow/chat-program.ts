/**
 * A conversation as the token program the model reads (docs/model-format.md, "Chat"):
 *   <bos> <user> [<boi> image <eoi>] words… <assistant> (words… | <boi> image <eoi>) <eos> <user> … <assistant>
 * Every item carries its RoPE position: text advances one per token; an image opened by <boi> at
 * position t has its blocks at p0 = t + 1 (with image.feed_back_finest, then a closing block of its
 * finest codes at time p0 + S) and the text after it resumes at p0 + imageSpan, like
 * tools/nextscale_tools/seq.py chat_layout. The unconditional row for CFG is the same program with
 * the last user message's words replaced by <null>.
 */
import type { ChatMessage } from '../../api/types';
import type { NextFlowConfig } from './config';
import { ModelConfigError } from '../../api/errors';

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

/** Tokens one whole image takes in the KV cache: <boi>, blocks 1..S−1, the closing block if any, <eoi>. */
export function imageCacheTokens(cfg: NextFlowConfig): number {
  const sc = cfg.vq.scales;
  const G = sc[sc.length - 1];
  return 2 + sc.slice(1).reduce((n, h) => n + h * h, 0) + (cfg.vq.feedBackFinest ? G * G : 0);
}

/** RoPE offset from an image's first block (p0) to the text after it: past every block's time p0 + s. */
export function imageSpan(cfg: NextFlowConfig): number {
  const S = cfg.vq.scales.length;
  return Math.max(cfg.arch.ropeImageRange, cfg.vq.feedBackFinest ? S + 1 : S);
}

export class ProgramBuilder {
  readonly items: ProgramItem[] = [];
  nextPos = 0;
  tokens = 0;

  constructor(private cfg: NextFlowConfig) {}

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

  /** <boi>, the image's blocks (and closing block) and <eoi>. */
  image(codes: number[][]): void {
    const v = this.cfg.vocab;
    this.text([v.boi]);
    const p0 = this.nextPos;
    this.items.push({ kind: 'image', codes, p0 });
    this.tokens += imageCacheTokens(this.cfg) - 2;
    this.nextPos = p0 + imageSpan(this.cfg);
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
