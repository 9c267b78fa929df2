/**
 * Attribute parsing for the custom elements: a bad value warns on the console (saying what is
 * expected) and falls back to the default; unknown attributes warn once, so typos are visible.
 */
const GLOBAL = /^(id|class|style|title|hidden|slot|part|lang|dir|tabindex|role|inert|autofocus|draggable|nonce|exportparts|(data|aria)-.*)$/;

export function warnUnknownAttributes(el: Element, known: readonly string[]): void {
  for (const a of el.getAttributeNames()) {
    if (!known.includes(a) && !GLOBAL.test(a)) console.warn(`<${el.localName}>: unknown attribute "${a}" is ignored (known: ${known.join(', ')}).`);
  }
}

export function numberAttr(el: Element, name: string, o: { integer?: boolean; min?: number; max?: number }, fallback?: number): number | undefined {
  const raw = el.getAttribute(name);
  if (raw === null || raw.trim() === '') return fallback;
  const v = Number(raw);
  const ok = Number.isFinite(v) && (!o.integer || Number.isInteger(v)) && (o.min === undefined || v >= o.min) && (o.max === undefined || v <= o.max);
  if (ok) return v;
  const range = `${o.min ?? '-∞'}..${o.max ?? '∞'}`;
  console.warn(`<${el.localName}>: ${name}="${raw}" is not ${o.integer ? 'an integer' : 'a number'} in ${range}; using ${fallback ?? "the model's default"}.`);
  return fallback;
}
