/**
 * A model's onnxruntime sessions, made one after the other: a failure releases the ones already made
 * (nothing is half-loaded), keeps typed errors (out of memory, no wasm) and turns any other into a
 * ModelConfigError naming the graph, since graphs are built from the model's own weights.
 */
import type * as Ort from 'onnxruntime-web';
import { ModelConfigError, NextscaleError } from '../../api/errors';
import type { WasmRuntime } from './runtime';

export function sessionMaker(rt: WasmRuntime, modelName: string): (graph: Uint8Array, what: string) => Promise<Ort.InferenceSession> {
  const made: Ort.InferenceSession[] = [];
  return async (graph, what) => {
    try {
      const s = await rt.session(graph, `${modelName}'s ${what}`);
      made.push(s);
      return s;
    } catch (e) {
      await Promise.all(made.map((s) => s.release()));
      if (e instanceof NextscaleError) throw e;
      throw new ModelConfigError(`the weights do not form a valid ${what}: ${String((e as Error)?.message ?? e).slice(0, 300)}`);
    }
  };
}
