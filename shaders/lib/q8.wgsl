// int8 weights, four per u32 word (element 4i in the low byte, two's complement), dequantized with
// the row's scale of their 32-element group: value = q · s.
fn dequant_q8(word: u32, s: f32) -> vec4<f32> {
  let q = bitcast<i32>(word);
  return vec4<f32>(f32(extractBits(q, 0u, 8u)), f32(extractBits(q, 8u, 8u)), f32(extractBits(q, 16u, 8u)), f32(extractBits(q, 24u, 8u))) * s;
}
