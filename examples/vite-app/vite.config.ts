import { defineConfig } from 'vite';

// WebGPU needs a secure context (http://localhost is one); cross-origin isolation is optional but
// gives the engine precise timers.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
export default defineConfig({ server: { headers: isolation }, preview: { headers: isolation } });
