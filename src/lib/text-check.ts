/**
 * What the model makes of the text being typed: "7 of 16 tokens · not in the model's vocabulary:
 * astronaut, riding", shown under a prompt or message box (the pages and <nextscale-chat>) before
 * anything is sent, and refreshed as the user types. Rendered as text, never as HTML.
 */
import type { TextCheck } from '../api/types';

export function describeTextCheck(c: TextCheck, what: 'prompt' | 'conversation'): { text: string; over: boolean; unknown: boolean } {
  const over = c.tokens > c.limit;
  const count = what === 'prompt' ? `${c.tokens} of ${c.limit} prompt tokens` : `${c.tokens} of ${c.limit} context tokens with this message`;
  const limit = over ? (what === 'prompt' ? ' — too long: shorten it' : ' — the oldest turns will be left out') : '';
  const unknown = c.unknown.length ? ` · not in the model's vocabulary: ${c.unknown.join(', ')}` : '';
  return { text: count + limit + unknown, over, unknown: c.unknown.length > 0 };
}

/**
 * Keep `out` describing the text of `input` (debounced); `check` asks the engine. Returns a function
 * that refreshes it now (e.g. after the model or the attachments changed).
 */
export function watchText(input: HTMLTextAreaElement | HTMLInputElement, out: HTMLElement, what: 'prompt' | 'conversation', check: (text: string) => Promise<TextCheck> | undefined): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let seq = 0;
  const refresh = () => {
    const mine = ++seq;
    const pending = check(input.value);
    if (!pending) {
      out.textContent = '';
      return;
    }
    pending.then(
      (c) => {
        if (mine !== seq) return; // a newer check is on its way
        const d = describeTextCheck(c, what);
        out.textContent = d.text;
        out.classList.toggle('over', d.over);
        out.classList.toggle('unknown', d.unknown);
      },
      () => mine === seq && (out.textContent = ''),
    );
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 120);
  });
  return refresh;
}
