/**
 * onnxruntime-web's wasm execution provider, loaded on first use (a WebGPU-only page never downloads
 * it): SIMD always; threads when the page is cross-origin isolated (SharedArrayBuffer), one thread
 * otherwise; in Node, one thread per core. Sessions are created from graphs built in TypeScript at
 * load time (nextflow/step-graph.ts …), and their failures become typed errors.
 */
import type * as Ort from 'onnxruntime-web';
import { WasmOutOfMemoryError, WasmUnavailableError } from '../../api/errors';

export type OrtModule = typeof Ort;

/** What wasm32 can address; ORT needs the graph's bytes and its own copy of the initializers at once. */
export const WASM_MEMORY_LIMIT = 4 * 2 ** 30;

export interface WasmRuntime {
  ort: OrtModule;
  /** Threads the wasm EP uses. */
  threads: number;
  /** Why that many ("cross-origin isolated", "the page is not cross-origin isolated", "Node"). */
  threadsWhy: string;
  /** A session over one graph; OOM and start-up failures are typed errors. `what` names it in messages. */
  session(graph: Uint8Array, what: string): Promise<Ort.InferenceSession>;
}

export interface WasmRuntimeOptions {
  /** Where the .wasm files are (a URL prefix ending in "/"); default: beside the script. */
  wasmPaths?: string;
  /** Threads (default: all cores when threads are possible). */
  threads?: number;
}

let memoryLimit = WASM_MEMORY_LIMIT;

/**
 * Refuse a model whose graphs would not fit: onnxruntime holds the graph's bytes and its own copy of
 * the initializers at once, so about twice the weights as f32. `setWasmMemoryLimit` lowers the
 * ceiling (a host that wants to keep memory for itself; tests).
 */
export function assertWasmFits(what: string, f32Bytes: number, work?: { bytes: number; detail: string }): void {
  const need = 2 * f32Bytes + (work?.bytes ?? 0);
  if (need > memoryLimit) throw new WasmOutOfMemoryError(what, need, memoryLimit, work?.detail);
}

export function setWasmMemoryLimit(bytes = WASM_MEMORY_LIMIT): void {
  memoryLimit = Math.min(bytes, WASM_MEMORY_LIMIT);
}

let started: Promise<WasmRuntime> | null = null;
let defaults: WasmRuntimeOptions = {};

/** Defaults for the runtime before it starts (the worker host sets where the .wasm files are). */
export function configureWasmRuntime(o: WasmRuntimeOptions): void {
  defaults = { ...defaults, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) };
}

const isNode = () => !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;

function cores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, Math.min(n ?? 1, 16));
}

function threadChoice(requested?: number): { threads: number; why: string } {
  if (isNode()) return { threads: requested ?? cores(), why: 'Node' };
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated) return { threads: 1, why: 'the page is not cross-origin isolated, so wasm runs single-threaded' };
  return { threads: requested ?? cores(), why: 'cross-origin isolated' };
}

/** The process-wide runtime (ORT's environment is global: the first caller's options win). */
export function wasmRuntime(o: WasmRuntimeOptions = {}): Promise<WasmRuntime> {
  started ??= start({ ...defaults, ...o }).catch((e) => {
    started = null;
    throw e;
  });
  return started;
}

async function start(o: WasmRuntimeOptions): Promise<WasmRuntime> {
  let ort: OrtModule;
  try {
    ort = (await import('onnxruntime-web')) as OrtModule;
  } catch (e) {
    throw new WasmUnavailableError(`onnxruntime-web could not be loaded (${String(e)})`);
  }
  const { threads, why } = threadChoice(o.threads);
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  if (o.wasmPaths) ort.env.wasm.wasmPaths = o.wasmPaths;
  const session = async (graph: Uint8Array, what: string) => {
    try {
      return await ort.InferenceSession.create(graph, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    } catch (e) {
      const msg = String((e as Error)?.message ?? e);
      if (/memory|alloc|Aborted|RangeError/i.test(msg)) throw new WasmOutOfMemoryError(what, graph.byteLength * 2, WASM_MEMORY_LIMIT, msg.slice(0, 200));
      if (/backend|wasm|fetch|instantiate/i.test(msg)) throw new WasmUnavailableError(msg.slice(0, 300));
      throw e;
    }
  };
  return { ort, threads, threadsWhy: why, session };
}
