// Browser side of the kernel tests: Playwright calls window.__nextscaleRunSuite(name, seed).
import { createGpuContext, type GpuContext } from '../../src/gpu/device';
import { runSuite, type CaseResult } from './harness';
import { suites } from './suites.gen';

let ctxPromise: Promise<GpuContext> | null = null;

declare global {
  interface Window {
    __nextscaleRunSuite(name: string, seed: number, filter?: string): Promise<CaseResult[]>;
    __nextscaleSuites: string[];
    __nextscaleAdapter(): Promise<unknown>;
  }
}

window.__nextscaleSuites = suites.map((s) => s.name);
window.__nextscaleRunSuite = async (name, seed, filter) => {
  const suite = suites.find((s) => s.name === name);
  if (!suite) throw new Error(`no suite "${name}"; have ${window.__nextscaleSuites.join(', ')}`);
  ctxPromise ??= createGpuContext();
  return runSuite(await ctxPromise, suite, seed, filter);
};
window.__nextscaleAdapter = async () => {
  ctxPromise ??= createGpuContext();
  const c = await ctxPromise;
  return { info: c.adapterInfo, features: c.features, limits: c.limits };
};
document.getElementById('log')!.textContent = `ready: ${window.__nextscaleSuites.join(', ')}`;
