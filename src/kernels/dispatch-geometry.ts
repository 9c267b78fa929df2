/** Fold a 1D workgroup count into (x, y) so it stays under maxComputeWorkgroupsPerDimension. */
export function fold1D(workgroups: number, maxPerDim = 65535): [number, number] {
  if (workgroups <= maxPerDim) return [workgroups, 1];
  const y = Math.ceil(workgroups / maxPerDim);
  return [Math.ceil(workgroups / y), y];
}

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
