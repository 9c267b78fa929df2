/**
 * The demo page: load the model in the engine's worker (with download progress), generate with the
 * page's settings, and show each scale's preview as it arrives. The main thread only copies small
 * previews onto canvases; every GPU dispatch runs in the worker.
 *
 * ?model=<url> loads another model folder (default: the bundled /models/nextscale-tiny/), or an official VAR
 * checkpoint (…/var_d16.pth or hf:FoundationVision/var/var_d16.pth, its VAE beside it), converted on the fly;
 * the "Other model" panel loads one by URL or from picked or dropped files (kept in IndexedDB).
 */
import { createEngine } from '../worker';
import { CancelledError, DeviceLostError, NextscaleError, WebGPUUnavailableError } from '../api/errors';
import type { Device, Engine, GenerateImageOptions, ImageResult, ModelInfo, ScaleEvent } from '../api/types';
import { formatMs, randomSeed } from './format';
import { addScale, clearOutput, renderCache, renderClassNames, setState, setStatus, showClassName, showError, showImage, showNoWebGpu, showProgress, ui } from './view';
import { renderModelAbout } from '../lib/model-about';
import { deviceLabel, deviceLine } from '../lib/device-line';
import { watchText } from '../lib/text-check';
import { textFeaturesFromSafetensors } from '../formats/text-features';

const DEFAULT_MODEL = '/models/nextscale-tiny/';
/** Where the model comes from: a folder URL, or files the user picked (named by their folder). */
type ModelSource = { url: string } | { name: string; files: File[] };
const query = new URLSearchParams(location.search);
let source: ModelSource = { url: query.get('model') || DEFAULT_MODEL };
/** ?device=auto|webgpu|wasm (default auto: WebGPU on a real GPU, else the CPU). */
const device = (query.get('device') || undefined) as Device | undefined;
const modelUrl = (source as { url: string }).url;

/** What the page did, for tests and curious users (read-only by convention). */
const demo = {
  modelUrl,
  info: undefined as ModelInfo | undefined,
  events: [] as Omit<ScaleEvent, 'preview'>[],
  result: undefined as ImageResult | undefined,
  error: undefined as { name: string; code?: string; message: string } | undefined,
  /** Longest main-thread handler of an engine callback or result (ms): must stay far below 50. */
  maxHandlerMs: 0,
};

/** Time a main-thread handler of engine output (the page's own share of any long task). */
function timed<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
  return (...a) => {
    const t = performance.now();
    try {
      fn(...a);
    } finally {
      demo.maxHandlerMs = Math.max(demo.maxHandlerMs, performance.now() - t);
    }
  };
}
(globalThis as { nextscaleDemo?: typeof demo }).nextscaleDemo = demo;

let engine: Engine | undefined;
let model: Promise<ModelInfo> | undefined;
let run: AbortController | undefined;

function fail(e: unknown): void {
  const err = e as Partial<NextscaleError>;
  demo.error = { name: err.name ?? 'Error', code: err.code, message: err.message ?? String(e) };
  if (e instanceof WebGPUUnavailableError) return showNoWebGpu(e.message);
  showError(err.message ?? String(e));
  // The status line must not keep saying "Generating…" next to the error.
  setStatus(e instanceof DeviceLostError ? 'The GPU device was lost. Press Generate: the model is loaded again on a new device (from the cache).' : `Stopped: ${err.code ?? err.name ?? 'error'}.`);
  setState('error');
}

// Tokens, the limit and unknown words under the prompt, as the user types (text-conditioned models only).
const refreshPromptInfo = watchText(ui.prompt, ui.promptInfo, 'prompt', (text) =>
  engine && demo.info?.conditioning === 'text' && text.trim() ? engine.checkText({ prompt: text }) : undefined,
);

function applyModelInfo(info: ModelInfo): void {
  ui.modelName.textContent = `${info.name} · ${info.imageSize}×${info.imageSize} · ${info.scales.length} scales · ${deviceLabel(info.device)}`;
  renderModelAbout(ui.modelAbout, info);
  refreshPromptInfo();
  ui.cfg.value = String(info.sampling.cfg);
  ui.topK.value = String(info.sampling.topK);
  ui.topP.value = String(info.sampling.topP);
  const byClass = info.conditioning === 'class';
  const byFeatures = info.conditioning === 'text-features';
  ui.promptField.hidden = byClass || byFeatures;
  ui.classField.hidden = !byClass;
  ui.featuresField.hidden = !byFeatures;
  renderClassNames(byClass ? info.classNames : undefined);
  if (info.note) setStatus(info.note);
}

async function loadModel(): Promise<ModelInfo> {
  setState('loading');
  const src = source;
  const where = 'url' in src ? src.url : `the picked folder "${src.name}"`;
  setStatus(`Loading the model from ${where}…`);
  const info = 'url' in src
    ? await engine!.loadModel(src.url, { onProgress: timed(showProgress) })
    : await engine!.loadModel(src.name, { files: src.files, onProgress: timed(showProgress) });
  demo.modelUrl = 'url' in src ? src.url : where;
  demo.info = info;
  applyModelInfo(info);
  if (!info.note) setStatus(`Ready. ${deviceLine(info.device)} ${info.cached ? '' : 'Not cached: it will be downloaded again next time.'}`.trim());
  setState('ready');
  void refreshCache();
  return info;
}

function numberFrom(input: HTMLInputElement, what: string, integer: boolean): number {
  const v = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new NextscaleError('E_INVALID_OPTION', `${what} must be ${integer ? 'a whole number' : 'a number'}; got "${input.value}".`);
  }
  return v;
}

/** An Infinity model's text features, from the picked .safetensors file. */
async function readFeatures(): Promise<GenerateImageOptions['textFeatures']> {
  const file = ui.textFeatures.files?.[0];
  if (!file) throw new NextscaleError('E_INVALID_OPTION', 'This model takes the prompt\'s text features: pick a .safetensors file with a "features" tensor.');
  return textFeaturesFromSafetensors(new Uint8Array(await file.arrayBuffer()), file.name);
}

function readOptions(info: ModelInfo | undefined): GenerateImageOptions {
  const opts: GenerateImageOptions = {
    seed: numberFrom(ui.seed, 'Seed', true) >>> 0,
    cfg: numberFrom(ui.cfg, 'CFG', false),
    topK: numberFrom(ui.topK, 'Top-k', true),
    topP: numberFrom(ui.topP, 'Top-p', false),
  };
  if (info?.conditioning === 'class') opts.classLabel = numberFrom(ui.classLabel, 'Class label', true);
  else if (info?.conditioning !== 'text-features') opts.prompt = ui.prompt.value;
  return opts;
}

function setRunning(running: boolean): void {
  ui.generate.disabled = running;
  ui.cancel.disabled = !running;
}

async function generate(): Promise<void> {
  if (run) return;
  showError(undefined);
  demo.events = [];
  demo.maxHandlerMs = 0;
  demo.result = undefined;
  demo.error = undefined;
  let opts: GenerateImageOptions;
  try {
    opts = readOptions(demo.info);
    if (demo.info?.conditioning === 'text-features') opts.textFeatures = await readFeatures();
  } catch (e) {
    return fail(e);
  }
  const what = opts.prompt !== undefined ? `“${opts.prompt.trim()}”` : opts.textFeatures ? `text features [${opts.textFeatures.shape.join('×')}]` : `class ${opts.classLabel}`;
  clearOutput(`${what} · seed ${opts.seed}`);
  const controller = (run = new AbortController());
  setRunning(true);
  setState('generating');
  try {
    let info: ModelInfo;
    try {
      info = await (model ??= loadModel());
    } catch (e) {
      model = undefined; // the next Generate loads again
      throw e;
    }
    setStatus(`Generating ${info.scales.length} scales…`);
    const onScale = timed((e: ScaleEvent) => {
      const { preview: _preview, ...rest } = e;
      demo.events.push(rest);
      addScale(e);
      const [h, w] = e.shape ?? [e.grid, e.grid];
      setStatus(`Scale ${e.scale + 1} of ${e.scales} (${h}×${w}) — ${formatMs(e.timings.elapsedMs)}`);
    });
    const result = await engine!.generateImage({ ...opts, signal: controller.signal }, onScale);
    timed(() => {
      demo.result = result;
      showImage(result.image);
      const t = result.timings;
      ui.total.textContent = `Total ${formatMs(t.totalMs)} · first preview after ${formatMs(t.firstPreviewMs)} · seed ${result.seed}`;
    })();
    setStatus(result.deviceReset ? 'Done. The GPU was reset; the model was reloaded.' : 'Done.');
    setState('done');
  } catch (e) {
    if (e instanceof CancelledError && controller.signal.aborted) {
      setStatus('Cancelled.');
      setState('cancelled');
    } else {
      fail(e);
    }
  } finally {
    run = undefined;
    setRunning(false);
  }
}

async function refreshCache(): Promise<void> {
  try {
    renderCache(await engine!.listCachedModels(), async (m) => {
      if (!confirm(`Delete ${m.model} from this browser's cache? It will be downloaded again when needed.`)) return;
      try {
        await engine!.deleteCachedModel(m.id);
      } catch (e) {
        fail(e);
      }
      void refreshCache();
    });
  } catch (e) {
    ui.cacheEmpty.hidden = false;
    ui.cacheEmpty.textContent = `Could not list cached models: ${(e as Error).message}`;
  }
}

/** Load another model (the picker): the page keeps working with the old one if this one fails. */
async function switchModel(next: ModelSource): Promise<void> {
  if (run) return;
  const previous = source;
  source = next;
  showError(undefined);
  model = loadModel();
  try {
    await model;
  } catch (e) {
    // Generate falls back to the previous model (from the cache) rather than retrying a bad pick.
    source = previous;
    model = undefined;
    setStatus('The model could not be loaded.');
    ui.progressText.textContent = 'failed';
    fail(e);
  }
}

function pickedFiles(list: FileList | null | undefined): { name: string; files: File[] } | undefined {
  const files = [...(list ?? [])];
  if (!files.length) return undefined;
  const rel = (files[0] as File & { webkitRelativePath?: string }).webkitRelativePath;
  return { name: rel ? rel.split('/')[0] : 'local model', files };
}

function wireModelPicker(): void {
  ui.modelForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const url = ui.modelUrl.value.trim();
    if (url) void switchModel({ url });
  });
  ui.modelFolder.addEventListener('change', () => {
    const picked = pickedFiles(ui.modelFolder.files);
    if (picked) void switchModel(picked);
  });
  ui.modelDrop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    ui.modelDrop.classList.add('over');
  });
  ui.modelDrop.addEventListener('dragleave', () => ui.modelDrop.classList.remove('over'));
  ui.modelDrop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    ui.modelDrop.classList.remove('over');
    const picked = pickedFiles(ev.dataTransfer?.files);
    if (picked) void switchModel({ ...picked, name: picked.name === 'local model' ? 'dropped model' : picked.name });
  });
  ui.classLabel.addEventListener('input', () => showClassName(demo.info?.classNames));
}

async function start(): Promise<void> {
  wireModelPicker();
  ui.randomSeed.addEventListener('click', () => (ui.seed.value = String(randomSeed())));
  ui.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void generate();
  });
  ui.cancel.addEventListener('click', () => {
    run?.abort();
    setStatus('Cancelling…');
  });
  ui.refreshCache.addEventListener('click', () => void refreshCache());

  if (device === 'webgpu' && (!('gpu' in navigator) || !navigator.gpu)) {
    ui.generate.disabled = true;
    return showNoWebGpu();
  }
  try {
    engine = await createEngine({ device });
  } catch (e) {
    ui.generate.disabled = true;
    return fail(e);
  }
  ui.generate.disabled = false;
  model = loadModel();
  try {
    await model;
  } catch (e) {
    model = undefined; // Generate tries again
    setStatus('The model could not be loaded.');
    ui.progressText.textContent = 'failed';
    fail(e);
    void refreshCache();
  }
}

void start().catch(fail);
