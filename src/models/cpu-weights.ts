/**
 * Model weights as f32 on the CPU, for backends that compute there (the wasm backend builds its graphs'
 * initializers from them). The same file checks as the GPU upload (models/weights.ts): allowed dtypes,
 * int8 with its scales, no NaN/±Inf (skipped when the store recorded the check), and strict binding
 * (every tensor of the files must be read by the model).
 */
import type { SafetensorsDtype, TensorInfo } from '../formats/safetensors';
import { tensorToF32 } from '../formats/safetensors';
import { ModelConfigError, WeightsFormatError } from '../api/errors';
import { INT8_SCALE, assertNoneUnused, dequantInt8, readHeader, refuseNonFinite, type ByteSource } from './weights';

export interface CpuTensor {
  shape: readonly number[];
  values: Float32Array;
}

export class CpuWeights {
  private byName = new Map<string, { info: TensorInfo; file: ByteSource; fileName: string }>();
  private used = new Set<string>();

  constructor(files: ReadonlyArray<{ name: string; source: ByteSource }>, dtypes: readonly SafetensorsDtype[] = ['F32', 'F16']) {
    const headers = files.map((f) => ({ f, header: readHeader(f.name, f.source) }));
    for (const { f, header } of headers) {
      if (!f.source.valuesChecked) for (const info of header.tensors.values()) refuseNonFinite(f.name, f.source, info);
      for (const info of header.tensors.values()) {
        if (!dtypes.includes(info.dtype) || (info.name.endsWith(INT8_SCALE) && info.dtype !== 'F32')) {
          throw new WeightsFormatError(f.name, `tensor "${info.name}" is stored as ${info.dtype}, which this model format does not use (it stores ${dtypes.join(', ')})`);
        }
        this.byName.set(info.name, { info, file: f.source, fileName: f.name });
      }
    }
    for (const [name, t] of this.byName) {
      if (t.info.dtype === 'I8' && !this.byName.has(name + INT8_SCALE)) throw new ModelConfigError(`int8 tensor "${name}" has no "${name}${INT8_SCALE}" scales`);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Shape of a tensor, or a ModelConfigError naming what is missing. */
  shape(name: string): readonly number[] {
    const t = this.byName.get(name);
    if (!t) throw new ModelConfigError(`tensor "${name}" is missing from the weights`);
    return t.info.shape;
  }

  /** The tensor as f32 (a fresh array), marked as used. */
  get(name: string): CpuTensor {
    const t = this.byName.get(name);
    if (!t) throw new ModelConfigError(`tensor "${name}" is missing from the weights`);
    this.used.add(name);
    const raw = t.file.slice(t.info.begin, t.info.begin + t.info.bytes);
    if (t.info.dtype === 'I8') {
      this.used.add(name + INT8_SCALE);
      const s = this.byName.get(name + INT8_SCALE)!;
      const scales = tensorToF32(s.file.slice(s.info.begin, s.info.begin + s.info.bytes), { ...s.info, begin: 0 });
      const bytes = dequantInt8(raw, t.info.shape, scales, 'f32', name);
      return { shape: t.info.shape, values: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
    }
    return { shape: t.info.shape, values: tensorToF32(raw, { ...t.info, begin: 0 }) };
  }

  /** The tensor, after checking its shape against what the config implies. */
  expect(name: string, shape: readonly number[]): CpuTensor {
    const have = this.shape(name);
    if (have.length !== shape.length || have.some((d, i) => d !== shape[i])) throw new ModelConfigError(`tensor "${name}" has shape [${have}] but the config implies [${shape}]`);
    return this.get(name);
  }

  /** Parameters: the elements of every tensor (quantization scales included). */
  get parameters(): number {
    let n = 0;
    for (const t of this.byName.values()) n += t.info.shape.reduce((a, d) => a * d, 1);
    return n;
  }

  /** Bytes of every tensor as f32 (what the wasm backend's graphs hold). */
  get f32Bytes(): number {
    let n = 0;
    for (const [name, t] of this.byName) if (!name.endsWith(INT8_SCALE)) n += 4 * t.info.shape.reduce((a, d) => a * d, 1);
    return n;
  }

  /** Strict loading: every tensor of the files must have been read (see WeightSet.assertAllUsed). */
  assertAllUsed(): void {
    assertNoneUnused([...this.byName.keys()], this.used);
  }
}
