/**
 * Uniforms declared once: a kernel's uniform layout is the WGSL `struct Params` of its shader, and
 * nothing else. At pipeline creation the struct is read from the preprocessed source (field names,
 * types, offsets by WGSL's alignment rules); a dispatch passes its uniforms as a record by field
 * name, and packUniforms writes each value at its field's offset. A field-order mismatch between the
 * TypeScript and the WGSL cannot happen, and a missing, unknown or out-of-range field is a
 * UniformLayoutError before anything is dispatched.
 */
import { UniformLayoutError } from '../api/errors';

export type UniformType = 'u32' | 'i32' | 'f32' | 'vec4<f32>';

export interface UniformField {
  name: string;
  type: UniformType;
  /** Elements of an `array<T, N>` field (1 for a plain field). */
  count: number;
  /** Byte offset in the struct. */
  offset: number;
}

export interface UniformLayout {
  fields: UniformField[];
  /** Struct size in bytes, a multiple of 16. */
  size: number;
}

/** A uniform record: scalars by name, arrays (`array<…>` fields) as flat number lists. */
export type UniformValues = Readonly<Record<string, number | ArrayLike<number>>>;

const SCALAR: Record<string, { size: number; align: number }> = { u32: { size: 4, align: 4 }, i32: { size: 4, align: 4 }, f32: { size: 4, align: 4 }, 'vec4<f32>': { size: 16, align: 16 } };

/** The layout of `struct Params` in WGSL `code`, or undefined when the shader declares none. */
export function parseParamsLayout(shader: string, code: string): UniformLayout | undefined {
  const m = /struct\s+Params\s*\{([^}]*)\}/.exec(code.replace(/\/\/[^\n]*/g, ''));
  if (!m) return undefined;
  const fields: UniformField[] = [];
  let offset = 0;
  let maxAlign = 4;
  for (const decl of splitTopLevel(m[1])) {
    const f = /^(\w+)\s*:\s*(.+)$/.exec(decl);
    if (!f) throw new UniformLayoutError(shader, `cannot read the Params field "${decl}"`);
    const [, name, typeText] = f;
    const arr = /^array\s*<\s*(.+?)\s*,\s*(\d+)\s*>$/.exec(typeText.replace(/\s+/g, ' '));
    const type = (arr ? arr[1] : typeText).replace(/\s+/g, '') as UniformType;
    const t = SCALAR[type];
    if (!t) throw new UniformLayoutError(shader, `Params.${name} has type ${typeText}; uniforms hold u32, i32, f32, vec4<f32> and arrays of vec4<f32>`);
    // In a uniform buffer an array's stride must be a multiple of 16: only vec4 arrays qualify.
    if (arr && t.size !== 16) throw new UniformLayoutError(shader, `Params.${name} is an array of ${type}; a uniform array's elements must be 16 bytes (vec4)`);
    const count = arr ? Number(arr[2]) : 1;
    const align = arr ? 16 : t.align;
    offset = Math.ceil(offset / align) * align;
    fields.push({ name, type, count, offset });
    offset += t.size * count;
    maxAlign = Math.max(maxAlign, align);
  }
  return { fields, size: Math.max(16, Math.ceil(offset / 16) * 16) };
}

/** The struct body's declarations: split at commas outside <…> (array<vec4<f32>, 16> is one). */
function splitTopLevel(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of body) {
    if (ch === '<') depth++;
    else if (ch === '>') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((d) => d.trim()).filter(Boolean);
}

/** Pack `values` by field name into the struct's bytes. Every field must be given, and nothing else. */
export function packUniforms(shader: string, layout: UniformLayout, values: UniformValues): ArrayBuffer {
  const buf = new ArrayBuffer(layout.size);
  const dv = new DataView(buf);
  const known = new Set(layout.fields.map((f) => f.name));
  const unknown = Object.keys(values).filter((k) => !known.has(k));
  if (unknown.length) throw new UniformLayoutError(shader, `Params has no field ${unknown.map((k) => `"${k}"`).join(', ')} (its fields: ${[...known].join(', ')})`);
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) throw new UniformLayoutError(shader, `Params.${f.name} (${f.type}) is not given`);
    const flat: ArrayLike<number> = typeof v === 'number' ? [v] : v;
    const lanes = f.type === 'vec4<f32>' ? 4 : 1;
    if (flat.length > f.count * lanes || (f.count === 1 && lanes === 1 && typeof v !== 'number')) {
      throw new UniformLayoutError(shader, `Params.${f.name} (${f.count > 1 ? `array<${f.type}, ${f.count}>` : f.type}) cannot hold ${typeof v === 'number' ? v : `${flat.length} values`}`);
    }
    for (let i = 0; i < flat.length; i++) {
      const x = flat[i];
      const at = f.offset + 4 * i;
      if (f.type === 'u32') {
        if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new UniformLayoutError(shader, `Params.${f.name} is u32 but got ${x}`);
        dv.setUint32(at, x, true);
      } else if (f.type === 'i32') {
        if (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 31) throw new UniformLayoutError(shader, `Params.${f.name} is i32 but got ${x}`);
        dv.setInt32(at, x, true);
      } else dv.setFloat32(at, x, true);
    }
  }
  return buf;
}
