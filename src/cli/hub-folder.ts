/**
 * A Hugging Face model folder on disk, as the hub publishes it: config.json and model.safetensors, or shards listed by
 * model.safetensors.index.json. Tensors are read on demand by byte range (the header first, then one tensor at a
 * time), so an encoder never reads the decoder's bytes; `bytesRead` counts what was read.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { LocalModelError, WeightsFormatError } from '../api/errors';
import { parseSafetensorsHeader, tensorToF32, type TensorInfo } from '../formats/safetensors';

export interface HubFolder {
  config: unknown;
  names(): string[];
  /** The tensor as f32 (a fresh array). */
  get(name: string): { shape: readonly number[]; values: Float32Array };
  bytesRead(): number;
  close(): void;
}

export function openHubFolder(dir: string): HubFolder {
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new LocalModelError(`No config.json in ${dir}: pass a model folder as the hub publishes it (config.json, model.safetensors or its shards).`);
  const config = JSON.parse(readFileSync(cfgPath, 'utf8')) as unknown;
  const index = join(dir, 'model.safetensors.index.json');
  let files: string[];
  if (existsSync(index)) {
    const map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> }).weight_map;
    if (!map || typeof map !== 'object') throw new WeightsFormatError('model.safetensors.index.json', 'has no weight_map');
    files = [...new Set(Object.values(map))];
  } else if (existsSync(join(dir, 'model.safetensors'))) files = ['model.safetensors'];
  else throw new LocalModelError(`No model.safetensors (or model.safetensors.index.json) in ${dir}.`);
  let read = 0;
  const fds: number[] = [];
  const where = new Map<string, { fd: number; info: TensorInfo; file: string }>();
  const readAt = (fd: number, at: number, n: number) => {
    const b = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const k = readSync(fd, b, got, n - got, at + got);
      if (!k) break;
      got += k;
    }
    read += got;
    return b.subarray(0, got);
  };
  for (const f of files) {
    const fd = openSync(join(dir, f), 'r');
    fds.push(fd);
    const size = fstatSync(fd).size;
    const lenBytes = readAt(fd, 0, 8);
    const len = lenBytes.length === 8 ? Number(new DataView(lenBytes.buffer).getBigUint64(0, true)) : 0;
    const head = new Uint8Array(8 + Math.min(len, Math.max(0, size - 8)));
    head.set(lenBytes);
    head.set(readAt(fd, 8, head.length - 8), 8);
    for (const info of parseSafetensorsHeader(f, head, size).tensors.values()) where.set(info.name, { fd, info, file: f });
  }
  return {
    config,
    names: () => [...where.keys()],
    get(name) {
      const t = where.get(name);
      if (!t) throw new WeightsFormatError(files.join(', '), `tensor "${name}" is missing`);
      return { shape: t.info.shape, values: tensorToF32(readAt(t.fd, t.info.begin, t.info.bytes), { ...t.info, begin: 0 }) };
    },
    bytesRead: () => read,
    close: () => fds.forEach((fd) => closeSync(fd)),
  };
}
