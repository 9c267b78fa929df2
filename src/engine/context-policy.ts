/**
 * The context policy of chat, the same for every model with chat (stated in the README, "Chat"):
 *
 *   A conversation is a list of turns: a user message and the assistant reply after it. Before a
 *   reply, the conversation plus room for the reply must fit the model's context. The room is one
 *   whole image and REPLY_TEXT_TOKENS words (less when even the newest turn alone leaves less).
 *   When it does not fit, whole turns are dropped, oldest first, and the rest is read again from
 *   the start. Never dropped: the turn being answered, and the latest turn that holds an image (the
 *   one a follow-up like "now make it blue" refers to). If that is still too long, the request is
 *   refused with ContextTooLongError.
 *
 * A reply itself never runs past the context: it stops before the limit (stopReason 'max-tokens'),
 * and the next turn applies the policy.
 */
import type { ChatMessage, DroppedTurns } from '../api/types';
import { ContextTooLongError } from '../api/errors';

/** Words a reply can always add after an image, when the context allows. */
export const REPLY_TEXT_TOKENS = 16;

export interface ContextBudget {
  contextLength: number;
  /** Tokens of the conversation's program (and the opening of the reply). */
  tokens(messages: ChatMessage[]): number;
  /** Tokens one whole image takes. */
  imageTokens: number;
}

export interface FittedConversation {
  messages: ChatMessage[];
  /** Tokens of the kept conversation's program. */
  tokens: number;
  dropped?: DroppedTurns;
}

/** Indices where each turn starts: at every user message (assistant messages before the first user message join the first turn). */
function turnStarts(messages: ChatMessage[]): number[] {
  const starts: number[] = [0];
  messages.forEach((m, i) => {
    if (i > 0 && m.role === 'user' && messages.slice(starts[starts.length - 1], i).some((x) => x.role === 'user')) starts.push(i);
  });
  return starts;
}

/** The conversation the model reads: `messages` with the oldest turns dropped until it fits (see above). */
export function fitConversation(messages: ChatMessage[], b: ContextBudget): FittedConversation {
  const starts = turnStarts(messages);
  const turns = starts.map((s, i) => messages.slice(s, starts[i + 1] ?? messages.length));
  const last = turns.length - 1;
  let imageTurn = -1;
  turns.forEach((t, i) => t.some((m) => m.parts.some((p) => p.type === 'image')) && (imageTurn = i));
  const keep = turns.map(() => true);
  const kept = () => turns.flatMap((t, i) => (keep[i] ? t : []));
  const newestAlone = b.tokens(turns[last]);
  const reserve = Math.max(1, Math.min(b.imageTokens + REPLY_TEXT_TOKENS, b.contextLength - newestAlone));
  let tokens = b.tokens(messages);
  while (tokens + reserve > b.contextLength) {
    const i = keep.findIndex((k, j) => k && j !== last && j !== imageTurn);
    if (i < 0) break;
    keep[i] = false;
    tokens = b.tokens(kept());
  }
  if (tokens + 1 > b.contextLength) throw new ContextTooLongError(tokens + 1, b.contextLength);
  const droppedTurns = keep.flatMap((k, i) => (k ? [] : [i]));
  if (!droppedTurns.length) return { messages, tokens };
  const droppedMessages = droppedTurns.flatMap((i) => turns[i].map((_, j) => starts[i] + j));
  return {
    messages: kept(),
    tokens,
    dropped: { turns: droppedTurns, messages: droppedMessages, tokensBefore: b.tokens(messages), tokensAfter: tokens, contextLength: b.contextLength },
  };
}
