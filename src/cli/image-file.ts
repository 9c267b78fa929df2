/**
 * Image files for the CLI (attachments, --image): PNG, JPEG, GIF (first frame) and WebP, like the
 * chat page accepts, recognised by their bytes rather than their names, each refused with a reason
 * when it cannot be used. Limits as on the page: 20 MB, 8192 px a side.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ImageFileError } from '../api/errors';
import type { RgbaImage } from '../api/types';
import { decodePng } from './png';

export const MAX_FILE_BYTES = 20 * 1024 * 1024;
export const MAX_SIDE = 8192;

type Kind = 'png' | 'jpeg' | 'gif' | 'webp';

export function imageKind(b: Uint8Array): Kind | undefined {
  const at = (i: number, s: string) => [...s].every((ch, j) => b[i + j] === ch.charCodeAt(0));
  if (b[0] === 0x89 && at(1, 'PNG')) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (at(0, 'GIF8')) return 'gif';
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  return undefined;
}

/** The RGBA pixels of an image file (not resized). */
export async function readImageFile(path: string): Promise<RgbaImage> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new ImageFileError(`Cannot read "${path}": it does not exist or is not readable. Give the path of a PNG, JPEG, WebP or GIF file.`);
  }
  if (size > MAX_FILE_BYTES) throw new ImageFileError(`"${path}" is ${(size / 2 ** 20).toFixed(1)} MB; the limit is ${MAX_FILE_BYTES / 2 ** 20} MB. Attach a smaller image.`);
  const bytes = new Uint8Array(readFileSync(path));
  const kind = imageKind(bytes);
  if (!kind) throw new ImageFileError(`Cannot read "${path}" as an image: it is not a PNG, JPEG, WebP or GIF file. Give one of those.`);
  let img: RgbaImage;
  try {
    img = await decode(kind, bytes);
  } catch (e) {
    if (e instanceof ImageFileError) throw e;
    throw new ImageFileError(`Cannot read "${path}" as ${kind.toUpperCase()}: ${(e as Error).message}. Give an intact PNG, JPEG, WebP or GIF file.`);
  }
  if (img.width > MAX_SIDE || img.height > MAX_SIDE) throw new ImageFileError(`"${path}" is ${img.width}×${img.height} px; the limit is ${MAX_SIDE} px a side.`);
  return img;
}

const require = createRequire(import.meta.url);

async function decode(kind: Kind, bytes: Uint8Array): Promise<RgbaImage> {
  if (kind === 'png') {
    const p = decodePng(bytes);
    return { width: p.width, height: p.height, data: new Uint8ClampedArray(p.data) };
  }
  if (kind === 'jpeg') {
    const jpeg = require('jpeg-js') as { decode(b: Uint8Array, o: object): { width: number; height: number; data: Uint8Array } };
    const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: (MAX_SIDE * MAX_SIDE) / 1e6, maxMemoryUsageInMB: 512 });
    return { width: j.width, height: j.height, data: new Uint8ClampedArray(j.data.buffer, j.data.byteOffset, j.data.byteLength) };
  }
  if (kind === 'gif') {
    const { GifReader } = require('omggif') as { GifReader: new (b: Uint8Array) => { width: number; height: number; decodeAndBlitFrameRGBA(i: number, out: Uint8Array): void } };
    const g = new GifReader(bytes);
    if (g.width > MAX_SIDE || g.height > MAX_SIDE) throw new ImageFileError(`the GIF is ${g.width}×${g.height} px; the limit is ${MAX_SIDE} px a side.`);
    const out = new Uint8Array(g.width * g.height * 4);
    g.decodeAndBlitFrameRGBA(0, out);
    return { width: g.width, height: g.height, data: new Uint8ClampedArray(out.buffer) };
  }
  return decodeWebp(bytes);
}

/** WebP through @jsquash/webp (libwebp in WebAssembly), its wasm read from node_modules. */
async function decodeWebp(bytes: Uint8Array): Promise<RgbaImage> {
  const mod = (await import('@jsquash/webp/decode.js')) as { default: (b: ArrayBuffer) => Promise<{ width: number; height: number; data: Uint8ClampedArray } | null>; init: (m: WebAssembly.Module) => Promise<unknown> };
  const wasmPath = require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm');
  await mod.init(await WebAssembly.compile(readFileSync(wasmPath)));
  const img = await mod.default(bytes.slice().buffer);
  if (!img) throw new Error('libwebp returned no image');
  return { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
}
