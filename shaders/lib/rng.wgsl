// The counter-based RNG of docs/sampling.md §1 (kernels/rng.ts is its TypeScript twin, bit-exact).

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return w ^ (w >> 22u);
}

fn draw_u32(seed: u32, step: u32, pos: u32) -> u32 {
  return pcg(pcg(pcg(seed) ^ step) ^ pos);
}

// float32(draw >> 8) · 2⁻²⁴: exact, in [0, 1).
fn uniform_f32(seed: u32, step: u32, pos: u32) -> f32 {
  return f32(draw_u32(seed, step, pos) >> 8u) * (1.0 / 16777216.0);
}
