// An image in [-1, 1] (NCHW, 3 channels, batch 1) to packed RGBA8, one u32 per pixel:
// v = round(clamp(x, -1, 1)·127.5 + 127.5) per channel (round half to even, as torch.round), alpha 255.
//
// Bindings: 0 Params, 1 img f32 [3, H, W] at element offset `inOffset`, 2 rgba u32 [H·W].
// Dispatch: ceil(H·W / WG) workgroups along x; one thread per pixel.

struct Params {
  hw: u32,        // pixels (H·W)
  inOffset: u32,  // element offset of channel 0 in img
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> img: array<f32>;
@group(0) @binding(2) var<storage, read_write> rgba: array<u32>;

fn to8(x: f32) -> u32 {
  return u32(round(clamp(x, -1.0, 1.0) * 127.5 + 127.5));
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= P.hw) { return; }
  let r = to8(img[P.inOffset + i]);
  let g = to8(img[P.inOffset + P.hw + i]);
  let b = to8(img[P.inOffset + 2u * P.hw + i]);
  rgba[i] = r | (g << 8u) | (b << 16u) | (255u << 24u);
}
