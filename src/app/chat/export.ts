/**
 * The conversation as a JSON file the user can keep when the browser refuses to store it: text as
 * written, images as PNG data URLs. Rendered through a canvas; nothing is sent anywhere.
 */
import type { ChatMessage, RgbaImage } from '../../api/types';
import { drawRgba } from '../../lib/canvas';

export interface ExportedChat {
  format: 'nextscale-chat';
  version: 1;
  exportedAt: string;
  messages: Array<{ role: ChatMessage['role']; parts: Array<{ type: 'text'; text: string } | { type: 'image'; width: number; height: number; png: string }> }>;
}

function pngDataUrl(img: RgbaImage): string {
  const c = document.createElement('canvas');
  drawRgba(c, img);
  return c.toDataURL('image/png');
}

export function exportChat(messages: readonly ChatMessage[]): ExportedChat {
  return {
    format: 'nextscale-chat',
    version: 1,
    exportedAt: new Date().toISOString(),
    messages: messages.map((m) => ({
      role: m.role,
      parts: m.parts.map((p) => (p.type === 'text' ? { type: 'text' as const, text: p.text } : { type: 'image' as const, width: p.image.width, height: p.image.height, png: pngDataUrl(p.image) })),
    })),
  };
}

/** Offers the conversation as a download (nextscale-chat-<date>.json). */
export function downloadChat(messages: readonly ChatMessage[]): void {
  const blob = new Blob([JSON.stringify(exportChat(messages), null, 1)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `nextscale-chat-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
