/** The one line the pages, the elements and the CLI show when older turns were left out of the context. */
import type { DroppedTurns } from '../api/types';

export function describeDropped(d: DroppedTurns): string {
  const n = d.turns.length;
  const which = n === 1 ? 'the oldest turn' : `the ${n} oldest turns`;
  return (
    `Left out ${which} (${d.messages.length} message${d.messages.length === 1 ? '' : 's'}) so the conversation fits the model's ` +
    `${d.contextLength}-token context: it read ${d.tokensAfter} of ${d.tokensBefore} tokens. The latest image and your last message are kept.`
  );
}
