// The chat goldens (tools/golden.py) reproduced in headless Chromium: a caption of a held-out image,
// a drawing request and its colour edit give the reference's tokens, image codes and logits.
import { test, expect } from '@playwright/test';
import { relative } from 'node:path';
import { GOLDEN_DIR, MODEL_DIR, REPO, requireModel } from './goldens';

test('chat goldens: caption, draw and edit replies match the PyTorch reference token for token', async ({ page }) => {
  test.setTimeout(300_000);
  requireModel();
  await page.goto('/e2e/chat-goldens/index.html');
  await expect(page.locator('#log')).toHaveText('ready');
  const results = await page.evaluate(
    (o) => window.__nextscaleChatGoldens(o),
    { model: relative(REPO, MODEL_DIR), goldens: relative(REPO, GOLDEN_DIR), cases: ['chat_caption', 'chat_draw', 'chat_edit'] },
  );
  expect(results.map((r) => r.name)).toEqual(['chat_caption', 'chat_draw', 'chat_edit', 'GPU VQ encoder on caption_input.png']);
  for (const r of results) expect(r.problems, r.name).toEqual([]);
});
