/**
 * The engine's worker, bundled into the library file itself (Vite `?worker&inline`: the worker code
 * travels as a Blob URL), so a host page serves one script file and the model files, nothing else.
 */
import EngineWorker from '../worker/worker-entry?worker&inline';

export function createEngineWorker(): Worker {
  return new EngineWorker({ name: 'nextscale-engine' });
}
