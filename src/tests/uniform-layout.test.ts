// Unit tests (node:test) for uniforms declared once (src/gpu/uniform-layout.ts): the WGSL struct
// Params is the only declaration; records are packed by field name, so the field order of the TS
// side cannot disagree with the shader, and a wrong record is refused before any dispatch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packUniforms, parseParamsLayout } from '../gpu/uniform-layout';
import { preprocessWgsl } from '../gpu/wgsl-preprocess';
import { shaderSources } from '../gpu/shaders.gen';
import { UniformLayoutError } from '../api/errors';

const wgsl = (body: string) => `struct Params {\n${body}\n}\n@group(0) @binding(0) var<uniform> P: Params;`;

test('uniforms: values land at their own field, whatever order the struct declares them in', () => {
  const values = { a: 7, b: 1.5, c: 9 };
  const ab = parseParamsLayout('t', wgsl('a: u32, // first\n b: f32,\n c: u32,'))!;
  const ba = parseParamsLayout('t', wgsl('c: u32,\n b: f32,\n a: u32,'))!;
  const read = (buf: ArrayBuffer, layout: typeof ab) => {
    const dv = new DataView(buf);
    const at = (n: string) => layout.fields.find((f) => f.name === n)!.offset;
    return { a: dv.getUint32(at('a'), true), b: dv.getFloat32(at('b'), true), c: dv.getUint32(at('c'), true) };
  };
  assert.deepEqual(read(packUniforms('t', ab, values), ab), values);
  assert.deepEqual(read(packUniforms('t', ba, values), ba), values);
  // The two declarations put the fields at different offsets: packing follows the WGSL, not the record.
  assert.equal(new DataView(packUniforms('t', ab, values)).getUint32(0, true), 7);
  assert.equal(new DataView(packUniforms('t', ba, values)).getUint32(0, true), 9);
});

test('uniforms: a missing, unknown, mistyped or out-of-range field is a UniformLayoutError', () => {
  const layout = parseParamsLayout('k', wgsl('M: u32, N: u32, scale: f32, off: i32,'))!;
  const ok = { M: 1, N: 2, scale: 0.5, off: -3 };
  assert.equal(packUniforms('k', layout, ok).byteLength, 16);
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ M: 1, scale: 0.5, off: 0 }, /Params\.N \(u32\) is not given/],
    [{ ...ok, K: 3 }, /Params has no field "K"/],
    [{ ...ok, M: -1 }, /Params\.M is u32 but got -1/],
    [{ ...ok, N: 1.5 }, /Params\.N is u32 but got 1\.5/],
    [{ ...ok, off: 2 ** 31 }, /Params\.off is i32/],
    [{ ...ok, M: [1, 2] }, /Params\.M \(u32\) cannot hold 2 values/],
  ];
  for (const [values, re] of bad) {
    assert.throws(() => packUniforms('k', layout, values as never), (e) => e instanceof UniformLayoutError && e.code === 'E_UNIFORM_LAYOUT' && re.test(e.message), JSON.stringify(values));
  }
});

test('uniforms: WGSL alignment (a vec4 array starts on 16 bytes; the struct rounds up to 16)', () => {
  const layout = parseParamsLayout('rope', wgsl('B: u32, T: u32, H: u32, D: u32, stride: u32, x_off: u32, p_off: u32, s0: u32, s1: u32, nx: u32, inv_freq: array<vec4<f32>, 16>,'))!;
  const f = layout.fields.find((x) => x.name === 'inv_freq')!;
  assert.equal(f.offset, 48);
  assert.equal(layout.size, 48 + 256);
  const buf = packUniforms('rope', layout, { B: 1, T: 1, H: 1, D: 4, stride: 4, x_off: 0, p_off: 0, s0: 0, s1: 0, nx: 1, inv_freq: [1, 0.25] });
  assert.deepEqual(Array.from(new Float32Array(buf, 48, 3)), [1, 0.25, 0]);
  assert.throws(() => parseParamsLayout('x', wgsl('a: u32, v: array<f32, 4>,')), UniformLayoutError);
  assert.throws(() => parseParamsLayout('x', wgsl('a: u32, m: mat4x4<f32>,')), UniformLayoutError);
});

test('uniforms: every shader in shaders/ with a Params struct parses', () => {
  let n = 0;
  for (const [name, source] of Object.entries(shaderSources)) {
    if (name.startsWith('lib/')) continue; // #include files, not shaders
    // Params never depends on defines (shapes travel in uniforms); preprocess with none set.
    const code = preprocessWgsl(source.replace(/\{\{(\w+)\}\}/g, '1'), {}, shaderSources);
    const layout = parseParamsLayout(name, code);
    assert.ok(layout, `${name} declares no struct Params`);
    n++;
    assert.ok(layout.fields.length > 0, name);
    assert.ok(layout.fields.every((f, i) => i === 0 || f.offset > layout.fields[i - 1].offset), `${name}: offsets increase`);
  }
  assert.ok(n >= 19, `only ${n} shaders`);
});
