// The ALU roofline of this device, measured in the same run as the kernels: FMA chains only.
import { createStorageBuffer } from '../../src/gpu/buffers';
import { dispatchRun, type BenchEntry } from './bench';
import { addShaderSources } from '../../src/gpu/pipeline-cache';
import { benchShaderSources } from './shaders.gen';

// The benchmarks' own shaders (ALU roofline, naive baselines) are not part of the library.
addShaderSources(benchShaderSources);

const WG = 64;
const WORKGROUPS = 256;
const ITERS = 4096;

export const benches: BenchEntry[] = [
  {
    name: 'fma_peak',
    group: `${WORKGROUPS}×${WG} threads × ${ITERS} rounds`,
    role: 'roofline',
    flops: WORKGROUPS * WG * ITERS * 64,
    async setup(ctx) {
      const out = createStorageBuffer(ctx, WORKGROUPS * WG * 4, 'fma-out');
      const uniforms = { iters: ITERS, a: 0.999999 };
      return dispatchRun(ctx, (rec) => rec.dispatch({ shader: 'fma_peak', defines: { WG }, uniforms, bindings: [out], workgroups: [WORKGROUPS] }), () => out.destroy());
    },
  },
];
