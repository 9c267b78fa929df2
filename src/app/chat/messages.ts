/**
 * The message list: one bubble per message, text through textContent only, images on canvases
 * (a forming image's canvas is redrawn with every scale's preview).
 */
import type { ChatMessage, RgbaImage } from '../../api/types';
import { drawRgba } from '../../lib/canvas';

export class MessageList {
  constructor(private readonly root: HTMLElement) {}

  clear(): void {
    this.root.replaceChildren();
  }

  /** Appends a bubble for `m` and returns it (its parts can still grow while a reply streams). */
  add(m: ChatMessage): Bubble {
    const b = new Bubble(m.role);
    for (const p of m.parts) p.type === 'text' ? b.appendText(p.text) : b.showImage(b.newImage(), p.image);
    this.root.append(b.el);
    this.scroll();
    return b;
  }

  scroll(): void {
    this.root.scrollTop = this.root.scrollHeight;
  }
}

export class Bubble {
  readonly el: HTMLElement;
  private text?: HTMLElement;

  constructor(role: ChatMessage['role']) {
    this.el = document.createElement('article');
    this.el.className = `msg ${role}`;
    this.el.dataset.role = role;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = role === 'user' ? 'You' : 'Model';
    this.el.append(who);
  }

  /** Streams text into the bubble's current text block (a new block after an image). */
  appendText(t: string): void {
    if (!this.text) {
      this.text = document.createElement('p');
      this.text.className = 'text';
      this.el.append(this.text);
    }
    this.text.textContent += t;
  }

  newImage(): HTMLCanvasElement {
    const c = document.createElement('canvas');
    c.className = 'img forming';
    this.el.append(c);
    this.text = undefined;
    return c;
  }

  showImage(c: HTMLCanvasElement, img: RgbaImage, final = true): void {
    drawRgba(c, img);
    c.classList.toggle('forming', !final);
  }

  note(t: string): void {
    const n = document.createElement('p');
    n.className = 'note';
    n.textContent = t;
    this.el.append(n);
  }
}
