/**
 * What a chat's KV cache holds, item by item in the form of chat-program.ts (text runs with their
 * tokens and positions, whole images with their codes), so that the next turn can keep the cached
 * prefix that its own program starts with and read only the rest. A turn's program always differs
 * from the cache somewhere (with CFG, at the previous user message, whose words are <null> only
 * while it is the last), and after a policy drop right after <bos>.
 */
import type { ChatProgram, ProgramItem } from './chat-program';

type TextItem = Extract<ProgramItem, { kind: 'text' }>;

export class CacheLog {
  private items: ProgramItem[] = [];
  /** Tokens of the logged items. */
  tokens = 0;

  text(cond: readonly number[], uncond: readonly number[], pos0: number): void {
    const last = this.items[this.items.length - 1];
    if (last?.kind === 'text' && last.pos0 + last.cond.length === pos0) {
      last.cond.push(...cond);
      last.uncond.push(...uncond);
    } else this.items.push({ kind: 'text', cond: [...cond], uncond: [...uncond], pos0 });
    this.tokens += cond.length;
  }

  /** A whole image in the cache (its blocks and closing block: `blockTokens`), first block at position p0. */
  image(codes: number[][], p0: number, blockTokens: number): void {
    this.items.push({ kind: 'image', codes: codes.map((c) => [...c]), p0 });
    this.tokens += blockTokens;
  }

  /**
   * The longest prefix of `program` the cache already holds: its tokens, and the program items after it
   * (a text run cut where it stops matching). At least the program's last token is left to read, so the
   * reply's first token is sampled by a fresh step. The log keeps only that prefix.
   */
  keepPrefixOf(program: ChatProgram, blockTokens: number): { tokens: number; rest: ProgramItem[] } {
    const items = program.items;
    const kept: ProgramItem[] = [];
    let tokens = 0;
    let rest: ProgramItem[] | undefined;
    for (let i = 0; i < items.length && !rest; i++) {
      const a = items[i];
      const b = this.items[i];
      if (!b) rest = items.slice(i);
      else if (a.kind === 'image' || b.kind === 'image') {
        if (a.kind === 'image' && b.kind === 'image' && a.p0 === b.p0 && sameCodes(a.codes, b.codes)) {
          kept.push(b);
          tokens += blockTokens;
        } else rest = items.slice(i);
      } else {
        const k = commonRun(a, b);
        if (k) kept.push(cut(b, 0, k));
        tokens += k;
        if (k < a.cond.length) rest = [cut(a, k), ...items.slice(i + 1)];
        else if (k < b.cond.length) rest = items.slice(i + 1);
      }
    }
    rest ??= [];
    if (!rest.length) {
      // The whole program is cached (the same conversation again): read its last token once more.
      const last = kept[kept.length - 1];
      const end = items[items.length - 1];
      if (last?.kind !== 'text' || end?.kind !== 'text') {
        this.items = [];
        this.tokens = 0;
        return { tokens: 0, rest: items };
      }
      last.cond.pop();
      last.uncond.pop();
      if (!last.cond.length) kept.pop();
      tokens -= 1;
      rest = [cut(end, end.cond.length - 1)];
    }
    this.items = kept;
    this.tokens = tokens;
    return { tokens, rest };
  }
}

function sameCodes(a: number[][], b: number[][]): boolean {
  return a.length === b.length && a.every((s, i) => s.length === b[i].length && s.every((c, j) => c === b[i][j]));
}

/** Tokens at the start of both runs that agree (both rows), when they start at the same position. */
function commonRun(a: TextItem, b: TextItem): number {
  if (a.pos0 !== b.pos0) return 0;
  let k = 0;
  while (k < a.cond.length && k < b.cond.length && a.cond[k] === b.cond[k] && a.uncond[k] === b.uncond[k]) k++;
  return k;
}

/** Tokens [k, end) of a text run, as a run of its own. */
function cut(t: TextItem, k: number, end = t.cond.length): TextItem {
  return { kind: 'text', cond: t.cond.slice(k, end), uncond: t.uncond.slice(k, end), pos0: t.pos0 + k };
}
