"""Multi-turn conversations for training: scripts of turns over one world of images (the training renders, the
varied renders for attached images, the emoji), built afresh for every row.

A script mixes drawing ("draw <caption>"), questions about the latest image (answered by its caption, no image),
edits of the latest shapes image (recolour, move, bigger/smaller: answered "here is <new caption>", the edited
image, "anything else ?") and attached images with a question or an edit. A fixed share follows the five-turn
path the issue measures: draw, ask, recolour, ask, draw. Every image state is a training combo, so held-out
prompts stay unseen.
"""
from . import chat
from .palette import parse_caption

CANONICAL = ("draw", "ask", "recolour", "ask", "draw")
EDIT_KINDS = {"recolour": chat.RECOLOUR, "move": chat.MOVE, "resize": chat.BIGGER + chat.SMALLER}


class World:
    """What a script may show: training renders by combo, varied renders (attachments), emoji captions."""

    def __init__(self, train_captions, varied_captions, emoji_captions):
        self.train = {}
        for i, c in enumerate(train_captions):
            self.train.setdefault(parse_caption(c), i)
        self.train_combos = sorted(k for k in self.train if k is not None)
        self.varied = [parse_caption(c) for c in varied_captions]
        self.emoji = list(emoji_captions)


def _edit_kind(text):
    return next(k for k, templates in EDIT_KINDS.items()
                if any(text.startswith(t.split("{")[0]) and ("{" in t or text == t) for t in templates))


def _pick_edit(combo, world, rng, kind=None):
    """(request, edited combo) of a random edit whose result is a training combo; kind restricts it."""
    options = [(t, c) for t, c in chat.edit_requests(combo, rng) if c in world.train]
    if kind:
        options = [o for o in options if _edit_kind(o[0]) == kind]
    if not options:
        return None
    by_kind = {}
    for o in options:
        by_kind.setdefault(_edit_kind(o[0]), []).append(o)
    weights = {"recolour": 0.55, "move": 0.25, "resize": 0.2}
    kinds = sorted(by_kind)
    p = [weights[k] for k in kinds]
    k = kinds[rng.choice(len(kinds), p=[w / sum(p) for w in p])]
    return by_kind[k][rng.integers(len(by_kind[k]))]


def script(world, rng, max_turns=5, max_images=4):
    """A conversation as a list of turns {"user": text, "attach": varied index or None, "reply": parts}, where
    reply parts are ("text", words) or ("image", (split, index)). rng: numpy Generator."""
    canonical = rng.random() < 0.3
    n = len(CANONICAL) if canonical else int(rng.integers(2, max_turns + 1))
    turns, state, images = [], None, 0  # state: the latest image's caption and combo (None for an emoji)
    for t in range(n):
        if canonical:
            kind = CANONICAL[t]
        elif state is None:
            kind = ["draw", "attach_ask", "attach_edit"][rng.choice(3, p=[0.55, 0.3, 0.15])]
        else:
            kind = ["ask", "edit", "draw", "attach_ask", "attach_edit"][rng.choice(5, p=[0.3, 0.35, 0.2, 0.1, 0.05])]
        if images >= max_images or (kind in ("edit", "recolour") and (state is None or state[1] is None)):
            kind = "ask" if state is not None else "attach_ask"
            if images >= max_images and state is None:
                break
        if kind == "ask":
            turns.append({"user": chat.FOLLOW_UPS[rng.integers(len(chat.FOLLOW_UPS))], "attach": None,
                          "reply": [("text", state[0])]})
            continue
        attach = None
        if kind.startswith("attach"):
            attach = int(rng.integers(len(world.varied)))
            combo = world.varied[attach]
            state = (_caption(combo), combo)
            images += 1
            if kind == "attach_ask" or images >= max_images:
                q = chat.QUESTIONS + chat.FOLLOW_UPS
                turns.append({"user": q[rng.integers(len(q))], "attach": attach, "reply": [("text", state[0])]})
                continue
        if kind == "draw":
            if rng.random() < 0.2:
                e = int(rng.integers(len(world.emoji)))
                cap, target, state = world.emoji[e], ("emoji", e), (world.emoji[e], None)
            else:
                combo = world.train_combos[rng.integers(len(world.train_combos))]
                cap, target, state = _caption(combo), ("shapes_train", world.train[combo]), (_caption(combo), combo)
            verb = chat.DRAW_VERBS[rng.integers(len(chat.DRAW_VERBS))]
            turns.append({"user": f"{verb} {cap}", "attach": None,
                          "reply": [("text", chat.DRAW_REPLY[0]), ("image", target), ("text", chat.DRAW_REPLY[1])]})
            images += 1
            continue
        edit = _pick_edit(state[1], world, rng, "recolour" if kind == "recolour" else None)
        if edit is None:
            turns.append({"user": chat.FOLLOW_UPS[0], "attach": attach, "reply": [("text", state[0])]})
            continue
        request, combo = edit
        state = (_caption(combo), combo)
        turns.append({"user": request, "attach": attach,
                      "reply": [("text", f"{chat.EDITED_REPLY[0]} {state[0]}"), ("image", ("shapes_train", world.train[combo])),
                                ("text", chat.EDITED_REPLY[1])]})
        images += 1
    return turns


def _caption(combo):
    from .palette import shape_caption
    return shape_caption(*combo)
