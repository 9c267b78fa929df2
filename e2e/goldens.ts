/**
 * The bundled model and its PyTorch goldens (tools/golden.py), for the app and CLI tests. Missing
 * files fail the test with what to run: these tests never skip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePng } from '../src/cli/png';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_MODEL_DIR = join(REPO, 'models', 'nextscale-tiny');
/** Overridable to try another export (serve it with NEXTSCALE_MODELS_DIR=<its parent> for the app). */
export const MODEL_DIR = process.env.NEXTSCALE_MODEL_DIR ?? DEFAULT_MODEL_DIR;
export const GOLDEN_DIR = process.env.NEXTSCALE_GOLDEN_DIR ?? join(REPO, 'e2e', 'goldens', 'nextscale-tiny');

export interface GoldenCase {
  name: string;
  prompt: string;
  seed: number;
  sampling: { cfg: number; top_k: number; top_p: number; temperature: number };
  /** Codes per scale, row-major. */
  scales: number[][];
  /** The PyTorch reference's final image. */
  pngPath: string;
}

export function requireModel(): void {
  if (!existsSync(join(MODEL_DIR, 'manifest.json'))) {
    throw new Error(
      `The bundled model is missing (${MODEL_DIR}/manifest.json). It is trained and exported by tools/ ` +
        '(python3 tools/train.py, then python3 tools/export.py); this test needs it and does not skip.',
    );
  }
}

/** The text-to-image golden cases, in index.json order. */
export function goldenCases(): GoldenCase[] {
  requireModel();
  const index = join(GOLDEN_DIR, 'index.json');
  if (!existsSync(index)) throw new Error(`The goldens are missing (${index}). Make them with: python3 tools/golden.py`);
  const { cases } = JSON.parse(readFileSync(index, 'utf8')) as { cases: { name: string; kind: string }[] };
  const out = cases
    .filter((c) => c.kind === 't2i')
    .map((c) => {
      const g = JSON.parse(readFileSync(join(GOLDEN_DIR, `${c.name}.json`), 'utf8')) as Omit<GoldenCase, 'name' | 'pngPath'>;
      return { ...g, name: c.name, pngPath: join(GOLDEN_DIR, `${c.name}.png`) };
    });
  if (!out.length) throw new Error(`${index} lists no text-to-image cases`);
  return out;
}

/** Mean and max absolute difference of the RGB channels of two RGBA images, and how many pixels differ by > 16. */
export function compareWithGolden(c: GoldenCase, width: number, height: number, rgba: ArrayLike<number>): { mean: number; max: number; farPixels: number } {
  const g = decodePng(readFileSync(c.pngPath));
  if (g.width !== width || g.height !== height) throw new Error(`golden image is ${g.width}×${g.height}, got ${width}×${height}`);
  let sum = 0, max = 0, far = 0;
  for (let p = 0; p < width * height; p++) {
    let worst = 0;
    for (let k = 0; k < 3; k++) {
      const d = Math.abs(g.data[p * 4 + k] - rgba[p * 4 + k]);
      sum += d;
      worst = Math.max(worst, d);
    }
    max = Math.max(max, worst);
    if (worst > 16) far++;
  }
  return { mean: sum / (width * height * 3), max, farPixels: far };
}
