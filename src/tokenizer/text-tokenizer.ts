/**
 * Text tokenizers loaded from a HuggingFace `tokenizer.json`. Implemented: the WordLevel model
 * (our default model) with Lowercase/NFKC normalizers and Whitespace/WhitespaceSplit
 * pre-tokenizers. Anything else raises TokenizerFormatError naming what is missing.
 */
import { TokenizerFormatError } from '../api/errors';

export interface TextTokenizer {
  /** Token ids for user text. Special-token strings in the text are NOT turned into specials. */
  encode(text: string): number[];
  /** Text for ids; specials are dropped unless keepSpecial. */
  decode(ids: readonly number[], opts?: { keepSpecial?: boolean }): string;
  /** Id of a special token such as "<boi>", or throws. */
  specialId(content: string): number;
  isSpecial(id: number): boolean;
  /** The words of `text` the vocabulary does not hold (each once, in order): the model reads them as its unknown token. */
  unknownWords(text: string): string[];
  /** Every word of the vocabulary (specials left out), in id order. */
  words(): string[];
  readonly vocabSize: number;
}

interface Normalizer {
  type: string;
  normalizers?: Normalizer[];
}

function normalize(n: Normalizer | null | undefined, s: string): string {
  if (!n) return s;
  switch (n.type) {
    case 'Lowercase':
      return s.toLowerCase();
    case 'NFKC':
      return s.normalize('NFKC');
    case 'NFC':
      return s.normalize('NFC');
    case 'Strip':
      return s.trim();
    case 'Sequence':
      return (n.normalizers ?? []).reduce((acc, m) => normalize(m, acc), s);
    default:
      throw new TokenizerFormatError(`normalizer "${n.type}" is not supported`);
  }
}

function preTokenize(p: { type: string; pretokenizers?: { type: string }[] } | null | undefined, s: string): string[] {
  if (!p) return [s];
  switch (p.type) {
    case 'WhitespaceSplit':
      return s.split(/\s+/).filter(Boolean);
    case 'Whitespace':
      return s.match(/\w+|[^\w\s]+/gu) ?? [];
    case 'Sequence':
      return (p.pretokenizers ?? []).reduce<string[]>((words, q) => words.flatMap((w) => preTokenize(q, w)), [s]);
    default:
      throw new TokenizerFormatError(`pre_tokenizer "${p.type}" is not supported`);
  }
}

export function loadTextTokenizer(json: unknown): TextTokenizer {
  const j = json as {
    added_tokens?: { id: number; content: string; special?: boolean }[];
    normalizer?: Normalizer | null;
    pre_tokenizer?: { type: string } | null;
    model?: { type?: string; vocab?: Record<string, number>; unk_token?: string };
  };
  if (!j || typeof j !== 'object' || !j.model) throw new TokenizerFormatError('no "model" section');
  if (j.model.type !== 'WordLevel') throw new TokenizerFormatError(`model type "${j.model.type}" is not supported (WordLevel is)`);
  const vocab = new Map<string, number>(Object.entries(j.model.vocab ?? {}));
  const idToToken = new Map<number, string>();
  for (const [w, id] of vocab) idToToken.set(id, w);
  const specials = new Map<string, number>();
  const specialIds = new Set<number>();
  for (const t of j.added_tokens ?? []) {
    idToToken.set(t.id, t.content);
    if (t.special !== false) {
      specials.set(t.content, t.id);
      specialIds.add(t.id);
    }
  }
  const unk = j.model.unk_token !== undefined ? (vocab.get(j.model.unk_token) ?? specials.get(j.model.unk_token)) : undefined;
  const vocabSize = Math.max(-1, ...idToToken.keys()) + 1;
  const normalizer = j.normalizer;
  const pre = j.pre_tokenizer;

  return {
    vocabSize,
    encode(text) {
      const words = preTokenize(pre, normalize(normalizer, text));
      return words.map((w) => {
        const id = vocab.get(w);
        if (id !== undefined && !specialIds.has(id)) return id;
        if (unk === undefined) throw new TokenizerFormatError(`word "${w}" is not in the vocabulary and there is no unk_token`);
        return unk;
      });
    },
    decode(ids, opts = {}) {
      return ids
        .filter((id) => opts.keepSpecial || !specialIds.has(id))
        .map((id) => idToToken.get(id) ?? '')
        .filter(Boolean)
        .join(' ');
    },
    specialId(content) {
      const id = specials.get(content);
      if (id === undefined) throw new TokenizerFormatError(`special token "${content}" is missing`);
      return id;
    },
    isSpecial: (id) => specialIds.has(id),
    unknownWords(text) {
      const out: string[] = [];
      for (const w of preTokenize(pre, normalize(normalizer, text))) {
        const id = vocab.get(w);
        if ((id === undefined || specialIds.has(id) || id === unk) && !out.includes(w)) out.push(w);
      }
      return out;
    },
    words: () => [...vocab.entries()].filter(([, id]) => !specialIds.has(id) && id !== unk).sort((a, b) => a[1] - b[1]).map(([w]) => w),
  };
}
