// The chat page (chat.html, src/app/chat/) in headless Chromium with the bundled model: a drawing turn
// that answers with text and an inline image (the golden reply), a question about an attached image
// (the golden caption), Stop mid-reply then go on, a reload that keeps the conversation, text never
// parsed as HTML, and a non-image file refused without losing anything.
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN_DIR, REPO, requireModel } from './goldens';

const REPLY_TIMEOUT = 180_000;

interface ChatPageState {
  info?: { canSeeImages: boolean };
  lastReply?: { stopReason: string; message: { parts: Array<{ type: string; text?: string; codes?: number[][] }> } };
  error?: { name: string; message: string };
  events: string[];
  replies: number;
}

const state = (page: Page) => page.evaluate(() => (globalThis as unknown as { nextscaleChat: ChatPageState }).nextscaleChat);
const golden = (name: string) => JSON.parse(readFileSync(join(GOLDEN_DIR, `${name}.json`), 'utf8')) as { text: string; images: number[][][]; tokens: number[] };

async function open(page: Page, path = '/chat.html'): Promise<void> {
  requireModel();
  await page.goto(path);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready', { timeout: REPLY_TIMEOUT });
}

/** Replies the page had finished when say() last sent: settled() waits for one more. */
const sentAt = new WeakMap<Page, number>();

async function say(page: Page, text: string, seed = 0): Promise<void> {
  await page.fill('#seed', String(seed));
  await page.fill('#input', text);
  sentAt.set(page, (await state(page)).replies);
  await page.click('#send');
  // send() empties the box before anything else: a click that did not submit fails here, by name.
  await expect(page.locator('#input'), 'the Send click submitted the message').toHaveValue('', { timeout: 10_000 });
}

/** Waits for the reply to what say() sent; a fast backend may finish it before any 'replying' state is seen. */
async function settled(page: Page): Promise<ChatPageState> {
  const before = sentAt.get(page) ?? 0;
  await page.waitForFunction((n) => (globalThis as unknown as { nextscaleChat: ChatPageState }).nextscaleChat.replies > n, before, { timeout: REPLY_TIMEOUT });
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready', { timeout: REPLY_TIMEOUT });
  const s = await state(page);
  if (s.error) throw new Error(`the page shows an error: ${s.error.message}`);
  return s;
}

test('a drawing request gets text and an inline image: the golden reply, drawn on a canvas', async ({ page }) => {
  test.setTimeout(300_000);
  await open(page);
  await say(page, 'draw a small red circle at the top left on a white background');
  const s = await settled(page);
  const g = golden('chat_draw');
  // A golden without an image (a model that cannot draw yet) must fail here, not pass on zero canvases.
  expect(g.images.length, 'images in the chat_draw golden').toBeGreaterThan(0);
  const parts = s.lastReply!.message.parts;
  expect(parts.some((p) => p.type === 'text'), 'the reply has text').toBe(true);
  expect(parts.filter((p) => p.type === 'image').map((p) => p.codes)).toEqual(g.images);
  const reply = page.locator('.msg.assistant').last();
  await expect(reply.locator('canvas.img')).toHaveCount(g.images.length);
  await expect(reply.locator('canvas.img.forming')).toHaveCount(0);
  expect(s.events.filter((e) => e === 'image-scale').length).toBe(6 * g.images.length);
  expect(s.events.indexOf('text')).toBeLessThan(s.events.indexOf('image-start'));
  // NEXTSCALE_SCREENSHOT=1 refreshes the README's chat screenshot; otherwise it goes to test-results/.
  const shot = process.env.NEXTSCALE_SCREENSHOT ? join(REPO, 'docs', 'screenshot-chat.png') : test.info().outputPath('screenshot-chat.png');
  await page.screenshot({ path: shot, fullPage: true });
});

test('an attached image and a question get the golden caption', async ({ page }) => {
  test.setTimeout(300_000);
  await open(page);
  await page.setInputFiles('#file', join(GOLDEN_DIR, 'caption_input.png'));
  await expect(page.locator('#pending canvas')).toHaveCount(1);
  await say(page, 'what is in this image ?');
  const s = await settled(page);
  const text = s.lastReply!.message.parts.filter((p) => p.type === 'text').map((p) => p.text).join(' ');
  expect(text).toBe(golden('chat_caption').text);
  await expect(page.locator('.msg.user').last().locator('canvas.img')).toHaveCount(1);
  await expect(page.locator('.msg.assistant').last()).toContainText(golden('chat_caption').text);
});

test('Stop mid-reply keeps the partial reply, the chat goes on, and a reload keeps it all', async ({ page }) => {
  test.setTimeout(300_000);
  // On WebGPU (SwiftShader here) a reply takes seconds, so Stop lands mid-reply; the CPU backend may
  // finish a reply before the click. Its cancel is checked in Node (npm run test:engine:wasm).
  await open(page, '/chat.html?device=webgpu');
  await say(page, 'draw a small red circle at the top left on a white background');
  await page.waitForFunction(() => (globalThis as unknown as { nextscaleChat: ChatPageState }).nextscaleChat.events.length > 0, undefined, { timeout: REPLY_TIMEOUT });
  await page.click('#stop');
  const stopped = await settled(page);
  expect(stopped.lastReply!.stopReason).toBe('cancelled');
  await expect(page.locator('.msg.assistant').last()).toContainText('Stopped');
  await say(page, 'now make it blue', 1);
  const next = await settled(page);
  expect(next.lastReply!.stopReason).not.toBe('cancelled');
  await expect(page.locator('.msg')).toHaveCount(4);
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready', { timeout: REPLY_TIMEOUT });
  await expect(page.locator('.msg')).toHaveCount(4);
  await expect(page.locator('.msg.user').first()).toContainText('draw a small red circle');
  await page.click('#new-chat');
  await expect(page.locator('.msg')).toHaveCount(0);
});

test('HTML and script in a message are shown as text, never run', async ({ page }) => {
  test.setTimeout(300_000);
  await open(page);
  const evil = '<img src=x onerror="window.__pwned=1"><b>bold</b><script>window.__pwned=2</script>';
  await say(page, evil);
  await settled(page);
  await expect(page.locator('.msg.user').last()).toContainText(evil);
  expect(await page.locator('#messages img, #messages b, #messages script').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});

test('a file that is not an image is refused with a reason and nothing is lost', async ({ page }) => {
  test.setTimeout(300_000);
  await open(page);
  await page.fill('#input', 'a draft the user is still typing');
  await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
  await expect(page.locator('#notice')).toContainText('is not an image');
  await expect(page.locator('#pending canvas')).toHaveCount(0);
  expect(await page.inputValue('#input')).toBe('a draft the user is still typing');
  await page.setInputFiles('#file', { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('garbage') });
  await expect(page.locator('#notice')).toContainText('could not be decoded');
});

test('a conversation three times longer than the context keeps working: each drop is announced, no reply passes the context', async ({ page }) => {
  test.setTimeout(600_000);
  // A 512-token window of the model's context (?context=, ChatOptions.contextLength) keeps the test short.
  await open(page, '/chat.html?context=512');
  const info = (await state(page)) as ChatPageState & { info: { contextLength: number } };
  const contextLength = Math.min(512, info.info.contextLength);
  await expect(page.locator('#model-name')).toContainText(`${contextLength} tokens of context`);
  // Drawing turns (about 200 tokens each) until the whole conversation is three contexts long.
  let whole = 0;
  let turn = 0;
  let drops = 0;
  while (whole < 3 * contextLength) {
    expect(turn, 'turns needed').toBeLessThan(20);
    await say(page, turn % 2 ? 'now make it blue' : 'draw a small red circle at the top left on a white background', turn);
    const s = (await settled(page)) as ChatPageState & { lastReply: { contextTokens: number; contextLength: number; dropped?: { tokensBefore: number; tokensAfter: number } } };
    const r = s.lastReply;
    expect(r.contextTokens, `turn ${turn}: the engine's own accounting`).toBeLessThanOrEqual(r.contextLength);
    expect(r.contextLength, `turn ${turn}: the window asked for`).toBe(contextLength);
    expect(r.message.parts.length, `turn ${turn} got a reply`).toBeGreaterThan(0);
    const bubble = page.locator('.msg.assistant').last();
    if (r.dropped) {
      drops++;
      expect(s.events[0], 'the drop comes before the reply').toBe('context');
      await expect(bubble.locator('.note')).toContainText('Left out');
    } else await expect(bubble.locator('.note', { hasText: 'Left out' })).toHaveCount(0);
    whole = r.dropped ? r.dropped.tokensBefore + (r.contextTokens - r.dropped.tokensAfter) : r.contextTokens;
    turn++;
  }
  expect(drops, 'turns were left out').toBeGreaterThan(0);
  // NEXTSCALE_SCREENSHOT=1: the README's screenshot of a drop notice (the last replies, scrolled to the end).
  if (process.env.NEXTSCALE_SCREENSHOT) {
    await page.fill('#input', 'what is in this image ?');
    await expect(page.locator('#input-info')).toContainText('context tokens');
    await page.screenshot({ path: join(REPO, 'docs', 'screenshot-chat-context.png') });
  }
});

test('the message box shows context tokens, the limit and unknown words before sending; the header says what the model is', async ({ page }) => {
  await open(page);
  await expect(page.locator('#model-about')).toContainText('parameter');
  await expect(page.locator('#model-about summary')).toContainText('words it knows');
  await page.fill('#input', 'a photorealistic astronaut riding a red horse');
  const { info } = (await state(page)) as ChatPageState & { info: { contextLength: number } };
  await expect(page.locator('#input-info')).toContainText(new RegExp(`\\d+ of ${info.contextLength} context tokens`));
  await expect(page.locator('#input-info')).toContainText(/not in the model's vocabulary: photorealistic, astronaut, riding$/);
  await page.locator('#model-about summary').click();
  await expect(page.locator('#model-about details p')).toContainText('circle');
  await page.fill('#input', 'draw a red circle');
  await expect(page.locator('#input-info')).not.toContainText('vocabulary');
  // Long text is never cut silently: the box has no length limit, the count says what the model gets.
  expect(await page.locator('#input').getAttribute('maxlength')).toBeNull();
});

test('a full storage quota: a lasting banner says the chat is not saved and exports it; it goes once a save works', async ({ page }) => {
  test.setTimeout(300_000);
  // Simulated quota: IndexedDB writes of the chat store fail with QuotaExceededError while the flag is on.
  await page.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if ((globalThis as unknown as { quotaFull?: boolean }).quotaFull && this.transaction.db.name === 'nextscale-chat') {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      return put.apply(this, args);
    };
  });
  await open(page);
  await page.evaluate(() => ((globalThis as unknown as { quotaFull: boolean }).quotaFull = true));
  await say(page, 'what do you see ?');
  await expect(page.locator('#unsaved')).toBeVisible();
  await settled(page);
  // Still there after the reply (the status line moved on to the token count).
  await expect(page.locator('#status')).toContainText('context tokens used');
  await expect(page.locator('#unsaved')).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-chat')]);
  const exported = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { format: string; messages: Array<{ role: string; parts: Array<{ type: string; text?: string }> }> };
  expect(exported.format).toBe('nextscale-chat');
  expect(exported.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  expect(exported.messages[0].parts).toEqual([{ type: 'text', text: 'what do you see ?' }]);
  await page.evaluate(() => ((globalThis as unknown as { quotaFull: boolean }).quotaFull = false));
  await say(page, 'draw a red circle', 1);
  await settled(page);
  await expect(page.locator('#unsaved')).toBeHidden();
});

test('a five-turn conversation: draw, ask, recolour, ask, draw; questions get words, requests get one image', async ({ page }) => {
  test.setTimeout(420_000);
  await open(page);
  const turns = ['draw a small red circle at the top left on a white background', 'what is in this image ?', 'now make it blue', 'describe it', 'draw a large green square in the center on a black background'];
  const shapes: string[] = [];
  for (const [t, text] of turns.entries()) {
    await say(page, text, t);
    const s = (await settled(page)) as ChatPageState & { lastReply: { dropped?: unknown; contextTokens: number; contextLength: number } };
    const parts = s.lastReply!.message.parts;
    shapes.push(parts.map((p) => p.type).join('+'));
    expect(s.lastReply.dropped, `turn ${t + 1}: nothing left out`).toBeUndefined();
    expect(parts.filter((p) => p.type === 'image').length, `turn ${t + 1} ("${text}"): ${shapes[t]}`).toBe(t % 2 === 0 ? 1 : 0);
    expect(parts.some((p) => p.type === 'text' && p.text!.trim()), `turn ${t + 1} has words`).toBe(true);
  }
  await expect(page.locator('.msg.assistant canvas.img')).toHaveCount(3);
  // NEXTSCALE_SCREENSHOT=1: the README's screenshot of a five-turn conversation, the whole list unscrolled.
  await page.addStyleTag({ content: '.messages { max-height: none !important; }' });
  const shot = process.env.NEXTSCALE_SCREENSHOT ? join(REPO, 'docs', 'screenshot-chat-five-turns.png') : test.info().outputPath('screenshot-chat-five-turns.png');
  await page.screenshot({ path: shot, fullPage: true });
});
