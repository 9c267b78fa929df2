/**
 * `nextscale chat`: the messages as one conversation, in order, through the same engine and chat
 * policy as the pages. Writes DIR/transcript.json and one PNG per image of each reply; older turns
 * left out of the context are reported on stderr, one line each time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CancelledError } from '../api/errors';
import type { ChatMessage, ChatPart, DroppedTurns } from '../api/types';
import { fitSquare } from '../formats/image-fit';
import { describeDropped } from '../lib/context-notice';
import type { ChatArgs } from './args';
import { readImageFile } from './image-file';
import { openEngine } from './open-engine';
import { encodePng } from './png';

export interface TranscriptTurn {
  user: string;
  /** Attached image files, as given. */
  attachments?: string[];
  reply: { text: string; images: string[] };
  stopReason: string;
  /** Tokens in the context after the reply, and the context's length. */
  context: { tokens: number; length: number };
  /** Set when older turns were left out before this reply. */
  dropped?: DroppedTurns;
}

/** Runs the conversation; returns the exit code (0 when every turn got a reply). */
export async function chatCommand(a: ChatArgs, signal: AbortSignal): Promise<number> {
  const log = a.quiet ? () => {} : (s: string) => process.stderr.write(`${s}\n`);
  // Read every attachment before loading the model: a bad file fails fast and costs nothing.
  const files = new Map<number, Array<{ file: string; image: Awaited<ReturnType<typeof readImageFile>> }>>();
  for (const at of a.attach) {
    const list = files.get(at.turn) ?? [];
    list.push({ file: at.file, image: await readImageFile(at.file) });
    files.set(at.turn, list);
  }
  mkdirSync(a.out, { recursive: true });
  const { engine, info } = await openEngine(a.model, signal, log, { device: a.device });
  const seed = a.seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
  const conversation: ChatMessage[] = [];
  const turns: TranscriptTurn[] = [];
  let unanswered = 0;
  try {
    for (let t = 0; t < a.messages.length; t++) {
      const attached = files.get(t + 1) ?? [];
      const parts: ChatPart[] = attached.map((f) => ({ type: 'image', image: fitSquare(f.image, info.imageSize) }));
      parts.push({ type: 'text', text: a.messages[t] });
      conversation.push({ role: 'user', parts });
      const r = await engine.chat(conversation, { seed: (seed + t) >>> 0, temperature: a.temperature, contextLength: a.context, signal }, (e) => {
        if (e.type === 'context') log(`turn ${t + 1}: ${describeDropped(e.dropped)}`);
      });
      if (r.stopReason === 'cancelled') throw new CancelledError('The conversation');
      conversation.push(r.message);
      const images: string[] = [];
      for (const p of r.message.parts) {
        if (p.type !== 'image') continue;
        const name = `turn-${t + 1}-image-${images.length + 1}.png`;
        writeFileSync(join(a.out, name), encodePng(p.image.width, p.image.height, p.image.data));
        images.push(name);
      }
      const text = r.message.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join(' ');
      if (!r.message.parts.length) unanswered++;
      turns.push({
        user: a.messages[t],
        ...(attached.length ? { attachments: attached.map((f) => f.file) } : {}),
        reply: { text, images },
        stopReason: r.stopReason,
        context: { tokens: r.contextTokens, length: r.contextLength },
        ...(r.dropped ? { dropped: r.dropped } : {}),
      });
      log(`turn ${t + 1}: ${text || '(no text)'}${images.length ? ` [${images.join(', ')}]` : ''} (${r.stopReason}, ${r.contextTokens}/${r.contextLength} tokens)`);
      writeTranscript(a.out, turns, info.name, seed);
    }
  } finally {
    await engine.dispose().catch(() => {});
  }
  if (unanswered) process.stderr.write(`nextscale: ${unanswered} of ${turns.length} messages got an empty reply (see ${basename(a.out)}/transcript.json)\n`);
  return unanswered ? 1 : 0;
}

function writeTranscript(dir: string, turns: TranscriptTurn[], model: string, seed: number): void {
  writeFileSync(join(dir, 'transcript.json'), JSON.stringify({ model, seed, turns }, null, 2) + '\n');
}
