"""The chat context policy of the engine (src/engine/context-policy.ts), for the reference conversations:

A conversation is a list of turns: a user message and the assistant reply after it. Before a reply, the
conversation plus room for the reply (one whole image and REPLY_TEXT_TOKENS words, or less when the newest turn
alone leaves less) must fit the context. When it does not, whole turns are dropped, oldest first; never the turn
being answered, nor the latest turn that holds an image. Still too long: ContextTooLong.
"""
REPLY_TEXT_TOKENS = 16


class ContextTooLong(ValueError):
    pass


def _turn_starts(messages):
    starts = [0]
    for i, m in enumerate(messages):
        if i > 0 and m["role"] == "user" and any(x["role"] == "user" for x in messages[starts[-1]:i]):
            starts.append(i)
    return starts


def fit_conversation(messages, context_length, image_tokens, count):
    """-> (kept messages, dropped or None). count(messages) gives the tokens of a conversation's program
    (with the opening <assistant> of the reply). dropped: {turns, messages, tokensBefore, tokensAfter,
    contextLength}, as the engine reports it."""
    starts = _turn_starts(messages)
    turns = [messages[s:(starts[i + 1] if i + 1 < len(starts) else len(messages))] for i, s in enumerate(starts)]
    last = len(turns) - 1
    image_turn = max([i for i, t in enumerate(turns) if any("codes" in p for m in t for p in m["parts"])], default=-1)
    keep = [True] * len(turns)

    def kept():
        return [m for i, t in enumerate(turns) if keep[i] for m in t]

    reserve = max(1, min(image_tokens + REPLY_TEXT_TOKENS, context_length - count(turns[last])))
    tokens = count(messages)
    while tokens + reserve > context_length:
        cand = [j for j, k in enumerate(keep) if k and j != last and j != image_turn]
        if not cand:
            break
        keep[cand[0]] = False
        tokens = count(kept())
    if tokens + 1 > context_length:
        raise ContextTooLong(f"the conversation needs {tokens + 1} tokens, the context holds {context_length}")
    dropped = [i for i, k in enumerate(keep) if not k]
    if not dropped:
        return messages, None
    return kept(), {"turns": dropped, "messages": [starts[i] + j for i in dropped for j in range(len(turns[i]))],
                    "tokensBefore": count(messages), "tokensAfter": tokens, "contextLength": context_length}
