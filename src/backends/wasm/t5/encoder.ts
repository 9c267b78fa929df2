/**
 * A T5 v1.1 encoder on the CPU backend: one onnxruntime session of encoder-graph.ts, built from the weights a
 * reader gives (only `shared.weight`, `encoder.*`: the decoder of a hub folder is never read).
 */
import type * as Ort from 'onnxruntime-web';
import { relativeBucket, type T5Config } from '../../../models/t5/config';
import type { WasmRuntime } from '../runtime';
import type { WeightReader } from '../nextflow/step-graph';
import { bucketMatrix, buildT5EncoderGraph } from './encoder-graph';

export class WasmT5Encoder {
  private constructor(
    private rt: WasmRuntime,
    readonly config: T5Config,
    private session: Ort.InferenceSession,
  ) {}

  static async load(rt: WasmRuntime, config: T5Config, weight: WeightReader): Promise<WasmT5Encoder> {
    return new WasmT5Encoder(rt, config, await rt.session(buildT5EncoderGraph(config, weight), 'the T5 encoder'));
  }

  /** last_hidden_state [L, d_model] of the token ids, as given (no EOS appended). */
  async encode(ids: readonly number[]): Promise<Float32Array> {
    const L = ids.length;
    const c = this.config;
    const t = (type: 'int64', data: BigInt64Array, dims: number[]) => new this.rt.ort.Tensor(type, data, dims);
    const out = await this.session.run({
      ids: t('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, L]),
      buckets: t('int64', bucketMatrix(L, (r) => relativeBucket(r, c.buckets, c.maxDistance)), [L, L]),
    });
    return out.hidden.data as Float32Array;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
