/**
 * One line on what the loaded model is (ModelInfo.description) and, for text-conditioned models,
 * the words it knows, in a closed <details> under it. Text only: nothing from a model is parsed as HTML.
 */
import type { ModelInfo } from '../api/types';

export function renderModelAbout(el: HTMLElement, info: ModelInfo): void {
  el.replaceChildren();
  const line = document.createElement('span');
  line.className = 'model-description';
  line.textContent = info.description;
  el.append(line);
  if (!info.vocabulary?.length) return;
  const words = document.createElement('details');
  words.className = 'model-vocabulary';
  const summary = document.createElement('summary');
  summary.textContent = `The ${info.vocabulary.length} words it knows`;
  const list = document.createElement('p');
  list.textContent = info.vocabulary.join(' · ');
  words.append(summary, list);
  el.append(' ', words);
}
