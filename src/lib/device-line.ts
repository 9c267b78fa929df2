/** Where a model runs, in one line for pages and elements ("Running on the CPU (wasm, 2 threads): no GPU adapter"). */
import type { DeviceInfo } from '../api/types';

export function deviceLine(d: DeviceInfo): string {
  if (d.backend === 'wasm') {
    const threads = `${d.threads ?? 1} thread${(d.threads ?? 1) > 1 ? 's' : ''}`;
    return `Running on the CPU (wasm, ${threads}${d.threadsNote ? `: ${d.threadsNote}` : ''}): ${d.reason}.`;
  }
  return `Running on WebGPU${d.adapter ? ` (${d.adapter})` : ''}: ${d.reason}.`;
}

/** A few words for a badge: "WebGPU" or "CPU (wasm, 2 threads)". */
export function deviceLabel(d: DeviceInfo): string {
  return d.backend === 'wasm' ? `CPU (wasm, ${d.threads ?? 1} thread${(d.threads ?? 1) > 1 ? 's' : ''})` : 'WebGPU';
}
