/**
 * The one factory of the engine's Web Worker, for the library, the elements and the demo pages. The
 * worker is bundled into the script that imports it (Vite `?worker&inline`: the worker code travels
 * as a Blob URL), so a host page serves one script file and the model files, nothing else.
 */
import EngineWorker from './worker-entry?worker&inline';

export function createEngineWorker(): Worker {
  return new EngineWorker({ name: 'nextscale-engine' });
}
