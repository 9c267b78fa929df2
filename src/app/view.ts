/**
 * The demo page's DOM: element lookups and rendering. Everything user- or model-provided goes in
 * through textContent (never innerHTML); pixels go in through putImageData only.
 */
import type { CachedModel, LoadProgress, RgbaImage, ScaleEvent } from '../api/types';
import { formatBytes, formatMs } from './format';
import { drawRgba } from '../lib/canvas';

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

export const ui = {
  form: $<HTMLFormElement>('gen-form'),
  prompt: $<HTMLTextAreaElement>('prompt'),
  promptField: $<HTMLElement>('prompt-field'),
  classField: $<HTMLElement>('class-field'),
  featuresField: $<HTMLElement>('features-field'),
  textFeatures: $<HTMLInputElement>('text-features'),
  classLabel: $<HTMLInputElement>('class-label'),
  classNames: $<HTMLDataListElement>('class-names'),
  className: $<HTMLElement>('class-name'),
  modelForm: $<HTMLFormElement>('model-form'),
  modelUrl: $<HTMLInputElement>('model-url'),
  modelFolder: $<HTMLInputElement>('model-folder'),
  modelDrop: $<HTMLElement>('model-drop'),
  seed: $<HTMLInputElement>('seed'),
  randomSeed: $<HTMLButtonElement>('random-seed'),
  cfg: $<HTMLInputElement>('cfg'),
  topK: $<HTMLInputElement>('top-k'),
  topP: $<HTMLInputElement>('top-p'),
  generate: $<HTMLButtonElement>('generate'),
  cancel: $<HTMLButtonElement>('cancel'),
  modelName: $<HTMLElement>('model-name'),
  modelAbout: $<HTMLElement>('model-about'),
  promptInfo: $<HTMLElement>('prompt-info'),
  progress: $<HTMLProgressElement>('progress'),
  progressText: $<HTMLElement>('progress-text'),
  status: $<HTMLElement>('status'),
  error: $<HTMLElement>('error'),
  canvas: $<HTMLCanvasElement>('canvas'),
  caption: $<HTMLElement>('caption'),
  scales: $<HTMLOListElement>('scales'),
  total: $<HTMLElement>('total'),
  cacheList: $<HTMLTableSectionElement>('cache-list'),
  cacheEmpty: $<HTMLElement>('cache-empty'),
  refreshCache: $<HTMLButtonElement>('refresh-cache'),
  noWebGpu: $<HTMLElement>('no-webgpu'),
  noWebGpuDetail: $<HTMLElement>('no-webgpu-detail'),
};

/** Page state, also on <body data-state> for styling and tests. */
export type PageState = 'starting' | 'loading' | 'ready' | 'generating' | 'done' | 'cancelled' | 'error' | 'no-webgpu';

export function setState(s: PageState): void {
  document.body.dataset.state = s;
}

export function setStatus(text: string): void {
  ui.status.textContent = text;
}

export function showError(message: string | undefined): void {
  ui.error.hidden = !message;
  ui.error.textContent = message ?? '';
}

export function showNoWebGpu(detail?: string): void {
  ui.noWebGpu.hidden = false;
  ui.noWebGpuDetail.textContent = detail ?? (globalThis.isSecureContext === false ? 'This page is not a secure context (https or localhost).' : '');
  setStatus('WebGPU is not available, so the model cannot run in this browser.');
  setState('no-webgpu');
}

let knownTotal = 0;
export function showProgress(p: LoadProgress): void {
  // The engine's final 'ready' may count only downloaded bytes (0 from cache): keep the model's size.
  if (p.totalBytes) knownTotal = p.totalBytes;
  p = { ...p, totalBytes: p.totalBytes || knownTotal, loadedBytes: p.phase === 'ready' ? p.totalBytes || knownTotal : p.loadedBytes };
  ui.progress.value = p.percent;
  const bytes = `${formatBytes(p.loadedBytes)} of ${formatBytes(p.totalBytes)} (${Math.floor(p.percent)}%)`;
  const text =
    p.phase === 'manifest' ? 'Reading the manifest…'
    : p.phase === 'upload' ? `Uploading weights to the GPU… ${Math.floor(p.percent)}%`
    : p.phase === 'verify' ? `Verifying ${bytes}`
    : p.phase === 'warmup' ? 'Compiling the GPU kernels (one small warm-up image)…'
    : p.phase === 'ready' ? `${formatBytes(p.totalBytes)}${p.fromCache ? ' — from cache' : ' — downloaded'}`
    : `${p.fromCache ? 'From cache: ' : ''}${bytes}`;
  ui.progressText.textContent = text;
}

const draw = drawRgba;

export function showImage(img: RgbaImage): void {
  draw(ui.canvas, img);
}

export function clearOutput(caption: string): void {
  ui.scales.replaceChildren();
  ui.total.textContent = '';
  ui.caption.textContent = caption;
  ui.canvas.getContext('2d')!.clearRect(0, 0, ui.canvas.width, ui.canvas.height);
}

/** One thumbnail per scale, with that scale's timings. */
export function addScale(e: ScaleEvent): void {
  const li = document.createElement('li');
  li.dataset.scale = String(e.scale);
  const c = document.createElement('canvas');
  if (e.preview) draw(c, e.preview);
  const grid = document.createElement('span');
  grid.className = 'grid';
  const [h, w] = e.shape ?? [e.grid, e.grid];
  grid.textContent = `${h}×${w}`;
  const fwd = document.createElement('span');
  fwd.textContent = `fwd ${formatMs(e.timings.forwardMs)}`;
  const prev = document.createElement('span');
  prev.textContent = `prev ${formatMs(e.timings.previewMs)}`;
  li.append(c, grid, fwd, prev);
  ui.scales.append(li);
  if (e.preview) showImage(e.preview);
}

export function renderCache(models: CachedModel[], onDelete: (m: CachedModel) => void): void {
  ui.cacheEmpty.hidden = models.length > 0;
  ui.cacheEmpty.textContent = 'Nothing cached yet.';
  ui.cacheList.closest('table')!.hidden = models.length === 0;
  ui.cacheList.replaceChildren(
    ...models.map((m) => {
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      name.textContent = m.model;
      name.title = `${m.id}\n${m.baseUrl}`;
      const size = document.createElement('td');
      size.textContent = `${formatBytes(m.bytes)}${m.complete ? '' : ' (partial)'}`;
      const when = document.createElement('td');
      when.textContent = new Date(m.storedAt).toLocaleString();
      const act = document.createElement('td');
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'small';
      del.textContent = 'Delete';
      del.setAttribute('aria-label', `Delete ${m.model} from the cache`);
      del.addEventListener('click', () => onDelete(m));
      act.append(del);
      tr.append(name, size, when, act);
      return tr;
    }),
  );
}

/** The class picker's suggestions ("207 golden retriever"); names go in as option values, never markup. */
export function renderClassNames(names: readonly string[] | undefined): void {
  ui.classNames.replaceChildren(...(names ?? []).map((n, i) => Object.assign(document.createElement('option'), { value: String(i), label: `${i} ${n}` })));
  showClassName(names);
}

export function showClassName(names: readonly string[] | undefined): void {
  const i = Number(ui.classLabel.value);
  ui.className.textContent = names && Number.isInteger(i) && names[i] ? names[i] : '';
}
