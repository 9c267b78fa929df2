/**
 * The chat page: a conversation with the model in the engine's worker. Text streams in, images in
 * replies form inline scale by scale, the user can attach / drop / paste images, Stop keeps the
 * partial reply, and the conversation survives reloads (IndexedDB, history.ts).
 *
 * ?model=<url> loads another model folder (default: the bundled /models/nextscale-tiny/);
 * ?context=<n> uses at most n tokens of its context (ChatOptions.contextLength).
 */
import { createEngine } from '../../worker';
import { deviceLabel, deviceLine } from '../../lib/device-line';
import { ContextTooLongError, NextscaleError, WebGPUUnavailableError } from '../../api/errors';
import type { Device, ChatEvent, ChatMessage, ChatPart, ChatReply, Engine, ModelInfo, RgbaImage } from '../../api/types';
import { drawRgba } from '../../lib/canvas';
import { randomSeed } from '../format';
import { archive, loadCurrent, newChat, saveCurrent, type StoredChat } from './history';
import { downloadChat } from './export';
import { imageFromFile } from '../../lib/image-file';
import { Bubble, MessageList } from './messages';
import { describeDropped } from '../../lib/context-notice';
import { renderModelAbout } from '../../lib/model-about';
import { watchText } from '../../lib/text-check';

const DEFAULT_MODEL = '/models/nextscale-tiny/';
const modelUrl = new URLSearchParams(location.search).get('model') || DEFAULT_MODEL;
const contextParam = new URLSearchParams(location.search).get('context');
/** ?device=auto|webgpu|wasm (default auto: WebGPU on a real GPU, else the CPU). */
const device = (new URLSearchParams(location.search).get('device') || undefined) as Device | undefined;
const MAX_PENDING_IMAGES = 2;
/** Replies longer than this stop (stopReason max-tokens); the tiny model's replies are a dozen tokens. */
const MAX_REPLY_TOKENS = 128;

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from chat.html`);
  return el as T;
}
const ui = {
  form: $<HTMLFormElement>('chat-form'),
  input: $<HTMLTextAreaElement>('input'),
  file: $<HTMLInputElement>('file'),
  attach: $<HTMLButtonElement>('attach'),
  seed: $<HTMLInputElement>('seed'),
  send: $<HTMLButtonElement>('send'),
  stop: $<HTMLButtonElement>('stop'),
  newChat: $<HTMLButtonElement>('new-chat'),
  pending: $<HTMLElement>('pending'),
  status: $<HTMLElement>('status'),
  notice: $<HTMLElement>('notice'),
  noticeText: $<HTMLElement>('notice-text'),
  noticeNewChat: $<HTMLButtonElement>('notice-new-chat'),
  unsaved: $<HTMLElement>('unsaved'),
  exportChat: $<HTMLButtonElement>('export-chat'),
  modelName: $<HTMLElement>('model-name'),
  modelAbout: $<HTMLElement>('model-about'),
  inputInfo: $<HTMLElement>('input-info'),
  progress: $<HTMLProgressElement>('progress'),
  progressText: $<HTMLElement>('progress-text'),
  noWebGpu: $<HTMLElement>('no-webgpu'),
  noWebGpuDetail: $<HTMLElement>('no-webgpu-detail'),
};

type State = 'starting' | 'loading' | 'ready' | 'replying' | 'error' | 'no-webgpu';

/** What the page did, for tests and curious users. */
const page = {
  info: undefined as ModelInfo | undefined,
  lastReply: undefined as ChatReply | undefined,
  error: undefined as { name: string; code?: string; message: string } | undefined,
  /** The last save failed (the banner is up). */
  unsaved: false,
  events: [] as ChatEvent['type'][],
  /** Replies finished (done, stopped or failed): a test waits for this to move, not for a state it may miss. */
  replies: 0,
};
(globalThis as { nextscaleChat?: typeof page }).nextscaleChat = page;

const list = new MessageList($('messages'));
let engine: Engine | undefined;
let info: ModelInfo | undefined;
let chat: StoredChat = newChat();
let pending: RgbaImage[] = [];

/** The message being typed (with the images waiting to be sent) after the conversation so far. */
function draftConversation(text: string): ChatMessage[] {
  const parts: ChatPart[] = [...pending.map((image): ChatPart => ({ type: 'image', image })), { type: 'text', text }];
  return [...chat.messages, { role: 'user', parts }];
}

// Context tokens with the draft, the limit, and unknown words of the draft, as the user types.
const refreshInputInfo = watchText(ui.input, ui.inputInfo, 'conversation', (text) =>
  engine && info && (text.trim() || pending.length) ? engine.checkText({ messages: draftConversation(text) }).then((c) => ({ ...c, limit: contextLength() })) : undefined,
);

/** The context window the chat uses: the model's, or ?context=<n> when that is smaller. */
function contextLength(): number {
  const asked = Number(contextParam);
  return contextParam && Number.isInteger(asked) && asked >= 2 ? Math.min(asked, info!.contextLength) : info!.contextLength;
}
let running: AbortController | undefined;

function setState(s: State): void {
  document.body.dataset.state = s;
  const busy = s === 'replying';
  ui.send.disabled = busy || s !== 'ready';
  ui.stop.disabled = !busy;
  ui.newChat.disabled = busy;
}

function status(t: string): void {
  ui.status.textContent = t;
}

function notice(message: string | undefined, offerNewChat = false): void {
  ui.notice.hidden = !message;
  ui.noticeText.textContent = message ?? '';
  ui.noticeNewChat.hidden = !offerNewChat;
}

function fail(e: unknown, offerNewChat = false): void {
  const err = e as Partial<NextscaleError>;
  page.error = { name: err.name ?? 'Error', code: err.code, message: err.message ?? String(e) };
  if (e instanceof WebGPUUnavailableError) return showNoWebGpu(e.message);
  notice(err.message ?? String(e), offerNewChat);
}

function showNoWebGpu(detail?: string): void {
  ui.noWebGpu.hidden = false;
  ui.noWebGpuDetail.textContent = detail ?? '';
  setState('no-webgpu');
}

/** Saves the chat; while the browser refuses, a lasting banner says so and offers an export (until a save works). */
async function persist(): Promise<void> {
  const saved = await saveCurrent(chat);
  ui.unsaved.hidden = saved;
  page.unsaved = !saved;
}

function renderPending(): void {
  ui.pending.replaceChildren(
    ...pending.map((img, i) => {
      const fig = document.createElement('figure');
      const c = document.createElement('canvas');
      drawRgba(c, img);
      const rm = document.createElement('button');
      rm.type = 'button';
      rm.textContent = '×';
      rm.setAttribute('aria-label', 'Remove this image');
      rm.addEventListener('click', () => {
        pending.splice(i, 1);
        renderPending();
      });
      fig.append(c, rm);
      return fig;
    }),
  );
  refreshInputInfo();
}

async function addFiles(files: Iterable<File>): Promise<void> {
  if (!info) return;
  if (!info.canSeeImages) return notice(`The model "${info.name}" cannot read images; send text only.`);
  notice(undefined);
  for (const f of files) {
    if (pending.length >= MAX_PENDING_IMAGES) return notice(`At most ${MAX_PENDING_IMAGES} images per message.`);
    try {
      pending.push(await imageFromFile(f, info.imageSize));
    } catch (e) {
      notice((e as Error).message);
    }
  }
  renderPending();
}

function seed(): number {
  const v = Number(ui.seed.value);
  if (ui.seed.value.trim() === '' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    ui.seed.value = String(randomSeed());
    return Number(ui.seed.value);
  }
  return v;
}

async function send(): Promise<void> {
  if (running || !engine || !info) return;
  const text = ui.input.value.trim();
  if (!text && !pending.length) return;
  const parts: ChatPart[] = [...pending.map((image): ChatPart => ({ type: 'image', image })), ...(text ? [{ type: 'text' as const, text }] : [])];
  const user: ChatMessage = { role: 'user', parts };
  chat.messages.push(user);
  list.add(user);
  ui.input.value = '';
  pending = [];
  renderPending();
  notice(undefined);
  await persist();
  await reply();
}

async function reply(): Promise<void> {
  const controller = (running = new AbortController());
  setState('replying');
  status('Thinking…');
  const bubble = list.add({ role: 'assistant', parts: [] });
  const canvases = new Map<number, HTMLCanvasElement>();
  page.events = [];
  const onEvent = (e: ChatEvent) => {
    page.events.push(e.type);
    if (e.type === 'context') bubble.note(describeDropped(e.dropped));
    else if (e.type === 'text') bubble.appendText(e.text);
    else if (e.type === 'image-start') {
      canvases.set(e.part, bubble.newImage());
      status('Drawing…');
    } else if (e.type === 'image-scale') {
      if (e.scale.preview) bubble.showImage(canvases.get(e.part)!, e.scale.preview, false);
      status(`Drawing: scale ${e.scale.scale + 1} of ${e.scale.scales}`);
    } else bubble.showImage(canvases.get(e.part)!, e.image, true);
    list.scroll();
  };
  try {
    const r = await engine!.chat(chat.messages, { seed: seed(), maxNewTokens: MAX_REPLY_TOKENS, contextLength: contextLength(), signal: controller.signal }, onEvent);
    page.lastReply = r;
    chat.messages.push(r.message);
    finishBubble(bubble, r);
    await persist();
    const used = r.stopReason === 'cancelled' ? 'Stopped.' : `${r.contextTokens} of ${r.contextLength} context tokens used.`;
    status(r.deviceReset ? `The GPU was reset; the model was reloaded. ${used}` : used);
  } catch (e) {
    bubble.el.remove();
    if (e instanceof ContextTooLongError) fail(e, true);
    else fail(e);
    status('');
  } finally {
    running = undefined;
    page.replies++;
    setState('ready');
  }
}

function finishBubble(bubble: Bubble, r: ChatReply): void {
  if (r.stopReason === 'cancelled') bubble.note('Stopped — the reply so far is kept.');
  if (!r.message.parts.length && r.stopReason !== 'cancelled') bubble.note('(no reply)');
  if (r.stopReason === 'max-tokens' && r.contextTokens >= r.contextLength - 8) {
    bubble.note('The reply stopped at the end of the model’s context. Your next message goes on: the oldest turns will be left out.');
  }
}

async function startNewChat(): Promise<void> {
  if (running) return;
  await archive(chat);
  chat = newChat();
  list.clear();
  pending = [];
  renderPending();
  notice(undefined);
  status('New chat.');
  await persist();
}

function wireInputs(): void {
  ui.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void send();
  });
  ui.input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      void send();
    }
  });
  ui.stop.addEventListener('click', () => running?.abort());
  ui.newChat.addEventListener('click', () => void startNewChat());
  ui.noticeNewChat.addEventListener('click', () => void startNewChat());
  ui.exportChat.addEventListener('click', () => downloadChat(chat.messages));
  ui.attach.addEventListener('click', () => ui.file.click());
  ui.file.addEventListener('change', () => {
    void addFiles(ui.file.files ?? []);
    ui.file.value = '';
  });
  document.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (ev) => {
    ev.preventDefault();
    document.body.classList.remove('dragging');
    void addFiles(ev.dataTransfer?.files ?? []);
  });
  document.addEventListener('paste', (ev) => {
    const files = [...(ev.clipboardData?.items ?? [])].filter((i) => i.kind === 'file').map((i) => i.getAsFile()!).filter(Boolean);
    if (files.length) {
      ev.preventDefault();
      void addFiles(files);
    }
  });
}

async function start(): Promise<void> {
  wireInputs();
  setState('starting');
  chat = await loadCurrent();
  for (const m of chat.messages) list.add(m);
  if (device === 'webgpu' && (!('gpu' in navigator) || !navigator.gpu)) return showNoWebGpu();
  engine = await createEngine({ device });
  setState('loading');
  status(`Loading the model from ${modelUrl}…`);
  info = await engine.loadModel(modelUrl, {
    onProgress: (p) => {
      ui.progress.value = p.percent;
      ui.progressText.textContent = p.phase === 'ready' ? (p.fromCache ? 'ready — from cache' : 'ready') : `${p.phase} ${Math.floor(p.percent)}%`;
    },
  });
  page.info = info;
  ui.modelName.textContent = `${info.name} · ${contextLength()} tokens of context${contextLength() < info.contextLength ? ` (of ${info.contextLength})` : ''} · ${deviceLabel(info.device)}`;
  renderModelAbout(ui.modelAbout, info);
  refreshInputInfo();
  if (!info.canSeeImages) {
    ui.attach.disabled = true;
    ui.attach.title = `The model "${info.name}" cannot read images`;
  }
  status(`Ready. ${deviceLine(info.device)}`);
  setState('ready');
}

void start().catch((e) => {
  fail(e);
  setState('error');
});
