/** Registers the custom elements (idempotent: a page may load the library twice). */
import { NextscaleChatElement } from './nextscale-chat';
import { NextscaleImageElement } from './nextscale-image';

export function defineElements(): void {
  if (!customElements.get('nextscale-image')) customElements.define('nextscale-image', NextscaleImageElement);
  if (!customElements.get('nextscale-chat')) customElements.define('nextscale-chat', NextscaleChatElement);
}

export { NextscaleChatElement, NextscaleImageElement };
