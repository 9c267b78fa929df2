// nextscale through the npm package: the API with async iterators, and the custom elements.
import { configure, defineElements, generateImage, loadModel, NextscaleError, type ScaleEvent } from 'nextscale';

configure({ modelBaseUrl: '/models/' }); // copy models/nextscale-tiny from the nextscale repo into public/models/
defineElements();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const canvas = $<HTMLCanvasElement>('out');

function draw(e: ScaleEvent): void {
  if (e.preview) canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(e.preview.data), e.preview.width, e.preview.height), 0, 0);
}

$<HTMLButtonElement>('go').addEventListener('click', async () => {
  try {
    const info = await loadModel('nextscale-tiny', { onProgress: (p) => (status.textContent = `loading ${Math.floor(p.percent)}%`) });
    const gen = generateImage({ prompt: $<HTMLInputElement>('prompt').value, seed: 7 });
    for await (const e of gen) {
      draw(e);
      status.textContent = `scale ${e.scale + 1} of ${info.scales.length}`;
    }
    const { png, timings } = await gen.result;
    status.textContent = `done in ${Math.round(timings.totalMs)} ms (${png.size} byte PNG)`;
  } catch (e) {
    status.textContent = e instanceof NextscaleError ? `${e.code}: ${e.message}` : String(e);
  }
});
