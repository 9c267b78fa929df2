/**
 * <nextscale-chat model="…" context="…" device="auto|webgpu|wasm">: a compact chat in shadow DOM — messages with streaming text and
 * images forming inline, an input, Attach image and Stop. Events: `reply` (a finished ChatReply),
 * `error`. `context="n"` uses at most n tokens of the model's context (ChatOptions.contextLength). The full page
 * with history is chat.html; this is the embeddable one.
 */
import type { ChatMessage, ChatPart, Device } from '../api/types';
import { drawRgba } from '../lib/canvas';
import { chat } from '../lib/api';
import { loadShared, resolveModel } from '../lib/shared';
import { imageFromFile } from '../lib/image-file';
import { warnUnknownAttributes } from './attributes';
import { describeDropped } from '../lib/context-notice';
import { watchText } from '../lib/text-check';

const STYLE = `
:host { display: flex; flex-direction: column; gap: 6px; width: 360px; height: 420px; font: 14px/1.4 system-ui, sans-serif; border: 1px solid #8884; border-radius: 8px; padding: 8px; box-sizing: border-box; }
.log { flex: 1; overflow-y: auto; display: flex; flex-direction: column; gap: 6px; }
.msg { max-width: 85%; padding: 6px 9px; border-radius: 8px; background: #8881; white-space: pre-wrap; overflow-wrap: anywhere; }
.user { align-self: flex-end; background: #3056d322; }
canvas { display: block; width: 128px; height: 128px; image-rendering: pixelated; border-radius: 4px; margin: 4px 0; }
form { display: flex; gap: 4px; }
input[type=text] { flex: 1; min-width: 0; font: inherit; padding: 4px 6px; }
button { font: inherit; }
.status { font-size: 12px; color: #777; min-height: 1.2em; margin: 0; }
.status.error { color: #b3261e; }
.note { display: block; font-size: 12px; color: #777; }
.hint { font-size: 12px; color: #777; min-height: 1.2em; margin: 0; }
.hint.over { color: #b3261e; }
`;

export class NextscaleChatElement extends HTMLElement {
  private log: HTMLElement;
  private input: HTMLInputElement;
  private file: HTMLInputElement;
  private stopBtn: HTMLButtonElement;
  private statusEl: HTMLElement;
  private messages: ChatMessage[] = [];
  private pending: ChatPart[] = [];
  private run?: AbortController;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.log = document.createElement('div');
    this.log.className = 'log';
    this.log.setAttribute('role', 'log');
    const form = document.createElement('form');
    this.input = document.createElement('input');
    this.input.type = 'text';
    this.input.placeholder = 'Message';
    this.file = document.createElement('input');
    this.file.type = 'file';
    this.file.accept = 'image/*';
    this.file.hidden = true;
    const attach = button('Image', () => this.file.click());
    this.stopBtn = button('Stop', () => this.run?.abort());
    this.stopBtn.disabled = true;
    const send = button('Send');
    send.type = 'submit';
    form.append(this.input, this.file, attach, this.stopBtn, send);
    this.statusEl = document.createElement('p');
    this.statusEl.className = 'status';
    const info = document.createElement('p');
    info.className = 'hint';
    info.setAttribute('aria-live', 'polite');
    root.append(style, this.log, this.statusEl, form, info);
    // Context tokens with the message being typed, and its unknown words, before anything is sent.
    this.refreshInfo = watchText(this.input, info, 'conversation', (text) =>
      text.trim() || this.pending.length ? this.draftCheck(text) : undefined,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.send();
    });
    this.file.addEventListener('change', () => void this.attach(this.file.files?.[0]));
  }

  private refreshInfo: () => void;

  private async draftCheck(text: string) {
    const { engine } = await loadShared(resolveModel(this.getAttribute('model')), undefined, undefined, this.device());
    const c = await engine.checkText({ messages: [...this.messages, { role: 'user', parts: [...this.pending, { type: 'text', text }] }] });
    return { ...c, limit: Math.min(c.limit, this.contextLength() ?? Infinity) };
  }

  connectedCallback(): void {
    warnUnknownAttributes(this, ['model', 'context', 'device']);
  }

  disconnectedCallback(): void {
    this.run?.abort();
  }

  /** The `device` attribute (checked where it is used: an unknown value is an E_INVALID_OPTION error). */
  private device(): Device | null {
    return this.getAttribute('device') as Device | null;
  }

  /** The `context` attribute as a token count, or undefined (the model's whole context). */
  private contextLength(): number | undefined {
    const v = Number(this.getAttribute('context'));
    return this.hasAttribute('context') && Number.isInteger(v) && v >= 2 ? v : undefined;
  }

  private status(t: string, error = false): void {
    this.statusEl.textContent = t;
    this.statusEl.classList.toggle('error', error);
  }

  private async attach(f: File | undefined): Promise<void> {
    this.file.value = '';
    if (!f) return;
    try {
      const { info } = await loadShared(resolveModel(this.getAttribute('model')), undefined, undefined, this.device());
      if (!info.canSeeImages) return this.status(`The model "${info.name}" cannot read images.`, true);
      this.pending.push({ type: 'image', image: await imageFromFile(f, info.imageSize) });
      this.status(`${this.pending.length} image(s) attached.`);
      this.refreshInfo();
    } catch (e) {
      this.status((e as Error).message, true);
    }
  }

  private bubble(role: ChatMessage['role']): HTMLElement {
    const b = document.createElement('div');
    b.className = `msg ${role}`;
    this.log.append(b);
    return b;
  }

  private async send(): Promise<void> {
    const text = this.input.value.trim();
    if (this.run || (!text && !this.pending.length)) return;
    const user: ChatMessage = { role: 'user', parts: [...this.pending, ...(text ? [{ type: 'text' as const, text }] : [])] };
    this.pending = [];
    this.input.value = '';
    this.refreshInfo();
    const ub = this.bubble('user');
    for (const p of user.parts) p.type === 'text' ? ub.append(p.text) : ub.append(canvasOf(p.image));
    this.messages.push(user);
    const run = (this.run = new AbortController());
    this.stopBtn.disabled = false;
    this.status('…');
    const ab = this.bubble('assistant');
    const canvases = new Map<number, HTMLCanvasElement>();
    try {
      const stream = chat(this.messages, { model: this.getAttribute('model') ?? undefined, device: this.device() ?? undefined, signal: run.signal, maxNewTokens: 128, contextLength: this.contextLength() });
      for await (const e of stream) {
        if (e.type === 'context') {
          const note = document.createElement('small');
          note.className = 'note';
          note.textContent = describeDropped(e.dropped);
          ab.append(note);
        } else if (e.type === 'text') ab.append(e.text);
        else if (e.type === 'image-start') canvases.set(e.part, ab.appendChild(document.createElement('canvas')));
        else if (e.type === 'image-scale' && e.scale.preview) drawRgba(canvases.get(e.part)!, e.scale.preview);
        else if (e.type === 'image') drawRgba(canvases.get(e.part)!, e.image);
        this.log.scrollTop = this.log.scrollHeight;
      }
      const r = await stream.reply;
      this.messages.push(r.message);
      this.status(r.stopReason === 'cancelled' ? 'Stopped.' : '');
      this.dispatchEvent(new CustomEvent('reply', { detail: r }));
    } catch (e) {
      ab.remove();
      const message = (e as Error)?.message ?? String(e);
      this.status(message, true);
      this.dispatchEvent(new CustomEvent('error', { detail: { error: e, message } }));
    } finally {
      this.run = undefined;
      this.stopBtn.disabled = true;
    }
  }
}

function button(label: string, onClick?: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

function canvasOf(img: { width: number; height: number; data: Uint8ClampedArray }): HTMLCanvasElement {
  const c = document.createElement('canvas');
  drawRgba(c, img);
  return c;
}
