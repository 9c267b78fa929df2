/**
 * The CPU backend on onnxruntime-web's wasm execution provider. A step's work is a list of ops, run in
 * order: onnxruntime session runs for the heavy math (the transformer on its KV cache, the VQ/VAE
 * decoder) and small TypeScript glue between them (sampling, codebook lookups, resizes: cpu-ops.ts,
 * sample.ts). An output is a view that is valid once the step's ops ran; `run` copies it out.
 */
import type { Backend } from '../backend';
import type { WasmRuntime } from './runtime';

export interface WasmWork {
  readonly label: string;
  readonly ops: Array<() => void | Promise<void>>;
}

/** A step's result: read after the step ran (a view into the step's host arrays). */
export type WasmOutput = () => ArrayBufferView;

export class WasmBackend implements Backend<WasmWork, WasmOutput> {
  readonly name = 'wasm';

  constructor(readonly runtime: WasmRuntime) {}

  begin(label: string): WasmWork {
    return { label, ops: [] };
  }

  async run<K extends string>(work: WasmWork, outputs: Readonly<Record<K, WasmOutput>>): Promise<Record<K, ArrayBuffer>> {
    // onnxruntime's runs settle as microtasks, so a whole generation would never let the worker read a
    // message: yield to the event loop once per step, so that a cancel (or Stop) lands between steps.
    await yieldToEvents();
    for (const op of work.ops) await op();
    const out = {} as Record<K, ArrayBuffer>;
    for (const k of Object.keys(outputs) as K[]) {
      const v = outputs[k]();
      out[k] = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
    }
    return out;
  }
}

/** One turn of the event loop (a macrotask, without setTimeout's 4 ms clamp). */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(0);
  });
}
