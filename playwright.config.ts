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

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // SwiftShader runs compute on the CPU; two cores cannot run browsers in parallel usefully.
  workers: 1,
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
