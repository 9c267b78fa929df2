/**
 * <nextscale-image prompt="…" (or class-label="…" for VAR) seed="…" model="…" device="auto|webgpu|wasm" cfg top-k top-p>: generates an image from its
 * attributes and streams every scale's preview into its canvas (shadow DOM). Events: `progress`
 * (model load), `scale` (each scale), `done` (final image), `error`. Changing an attribute
 * regenerates; removing the element cancels its work.
 */
import { CancelledError } from '../api/errors';
import type { Device, LoadProgress, ScaleEvent } from '../api/types';
import { drawRgba } from '../lib/canvas';
import { loadShared, resolveModel } from '../lib/shared';
import { numberAttr, warnUnknownAttributes } from './attributes';

const ATTRS = ['prompt', 'class-label', 'seed', 'model', 'device', 'cfg', 'top-k', 'top-p'] as const;

const STYLE = `
:host { display: inline-block; width: 256px; font: 13px/1.4 system-ui, sans-serif; color: inherit; }
canvas { display: block; width: 100%; aspect-ratio: 1; image-rendering: pixelated; border-radius: 6px; background: #8882; }
.status { margin: 4px 0 0; min-height: 1.4em; color: #777; overflow-wrap: anywhere; }
.status.error { color: #b3261e; }
`;

export class NextscaleImageElement extends HTMLElement {
  static observedAttributes = [...ATTRS];
  /** Runs stopped because the element was removed or its attributes changed (for tests and debugging). */
  static cancelledRuns = 0;
  private canvas: HTMLCanvasElement;
  private statusEl: HTMLElement;
  private run?: AbortController;
  private scheduled = false;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('part', 'canvas');
    this.canvas.setAttribute('role', 'img');
    this.statusEl = document.createElement('p');
    this.statusEl.className = 'status';
    this.statusEl.setAttribute('part', 'status');
    root.append(style, this.canvas, this.statusEl);
  }

  connectedCallback(): void {
    warnUnknownAttributes(this, ATTRS);
    this.schedule();
  }

  disconnectedCallback(): void {
    this.run?.abort();
  }

  attributeChangedCallback(): void {
    if (this.isConnected) this.schedule();
  }

  /** Several attribute changes in one task give one generation. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.isConnected) void this.generate();
    });
  }

  private status(text: string, error = false): void {
    this.statusEl.textContent = text;
    this.statusEl.classList.toggle('error', error);
  }

  private async generate(): Promise<void> {
    this.run?.abort();
    const run = (this.run = new AbortController());
    const prompt = this.getAttribute('prompt')?.trim() ?? '';
    // class-label: for class-conditional (VAR) models, instead of a prompt.
    const classLabel = numberAttr(this, 'class-label', { integer: true, min: 0 });
    this.canvas.setAttribute('aria-label', prompt || (classLabel !== undefined ? `class ${classLabel}` : ''));
    if (!prompt && classLabel === undefined) return this.status('Set the prompt attribute (or class-label for a VAR model) to generate an image.');
    const opts = {
      ...(classLabel !== undefined && !prompt ? { classLabel } : { prompt }),
      seed: numberAttr(this, 'seed', { integer: true, min: 0, max: 0xffffffff }, 0),
      cfg: numberAttr(this, 'cfg', { min: 0 }),
      topK: numberAttr(this, 'top-k', { integer: true, min: 0 }),
      topP: numberAttr(this, 'top-p', { min: 0, max: 1 }),
      signal: run.signal,
    };
    try {
      this.status('Loading the model…');
      const onProgress = (p: LoadProgress) => {
        this.status(`Loading the model… ${Math.floor(p.percent)}%`);
        this.dispatchEvent(new CustomEvent('progress', { detail: p }));
      };
      const { engine, info } = await loadShared(resolveModel(this.getAttribute('model')), onProgress, run.signal, this.getAttribute('device') as Device | null);
      this.status(`Generating (${info.scales.length} scales) on ${info.device.backend === 'wasm' ? 'the CPU' : 'WebGPU'}…`);
      const onScale = (e: ScaleEvent) => {
        if (run.signal.aborted) return;
        if (e.preview) drawRgba(this.canvas, e.preview);
        this.status(`Scale ${e.scale + 1} of ${e.scales}`);
        this.dispatchEvent(new CustomEvent('scale', { detail: e }));
      };
      const r = await engine.generateImage(opts, onScale);
      drawRgba(this.canvas, r.image);
      this.status('');
      this.dispatchEvent(new CustomEvent('done', { detail: r }));
    } catch (e) {
      if (run.signal.aborted && (e instanceof CancelledError || (e as Error)?.name === 'CancelledError')) {
        NextscaleImageElement.cancelledRuns++;
        return;
      }
      const message = (e as Error)?.message ?? String(e);
      this.status(message, true);
      this.dispatchEvent(new CustomEvent('error', { detail: { error: e, message } }));
    } finally {
      if (this.run === run) this.run = undefined;
    }
  }
}
