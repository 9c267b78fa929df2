import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.NEXTSCALE_TEST_PORT ?? 5199);

/** Headless Chromium from the system (apt), with WebGPU on SwiftShader where there is no GPU. */
export const chromiumLaunch = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--enable-unsafe-webgpu',
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
  ],
};

// One kernel-test seed for the whole run. The config is read first in the main process, and workers
// inherit its environment, so every worker draws the same cases and the seed that a failing test
// prints ("rerun with SEED=...") reproduces it. Without this each worker drew its own seed.
process.env.SEED ??= String(Math.floor(Math.random() * 2 ** 31));

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // Two browsers at once, even on two cores: much of a test's wall time is shader compilation, one
  // pipeline at a time on one thread (SwiftShader's JIT, 0.1–3.7 s per pipeline, ~16 s per page
  // load), which the other worker's compute can overlap. Measured 2026-11-29 on the 2-core box:
  // the suite in 8.3 min with two workers, 12.6 min with one (18.8 with one while a training run
  // held a core). NEXTSCALE_TEST_WORKERS=1 restores one at a time.
  workers: Number(process.env.NEXTSCALE_TEST_WORKERS ?? 2),
  timeout: 300_000,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${PORT}`,
    launchOptions: chromiumLaunch,
  },
  webServer: {
    command: `NEXTSCALE_NO_HMR=1 npx vite --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}/e2e/kernels/index.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
