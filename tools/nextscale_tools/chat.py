"""Chat tasks of the default model: templates, edit pairs, and the sequences they make (docs/model-format.md).

  caption:  <bos> <user> <boi> IMG <eoi> what is in this image ? <assistant> a small red circle ... <eos>
  draw:     <bos> <user> draw a small red circle ... <assistant> here you go <boi> IMG <eoi> anything else ? <eos>
  edit:     ... draw turn ... <user> now make it blue <assistant> done <boi> IMG' <eoi> anything else ? <eos>
  edited:   ... <user> make it blue <assistant> here is a small blue circle ... <boi> IMG' <eoi> anything else ? <eos>
Replies interleave: text, then the image, then text again, all in one turn.
The edit keeps size, shape, position, background and the jitter; only the object colour changes.
An "edited" reply (the conversations of nextscale_tools/convo.py) first says the caption of what it is about to
draw: the drawing then conditions on words just written, as in text-to-image, instead of on a copy of the
previous image's cells that a 4-layer model did not learn (0 % edits with the "done" reply).
"""
import random

import numpy as np

from .palette import COLOR_NAMES, POSITION_NAMES, shape_caption
from .shapes import JITTER_PX, render

QUESTIONS = ["what is in this image ?", "describe this image .", "what do you see ?"]
DRAW_VERBS = ["draw", "draw me", "show me", "make an image of"]
EDIT_TEMPLATE = "now make it {color}"
DRAW_REPLY = ("here you go", "anything else ?")  # text before and after the image of a drawing reply
EDIT_REPLY = ("done", "anything else ?")
# Conversations (convo.py): follow-up questions about the latest image, and edits of it, a few paraphrases each
FOLLOW_UPS = ["what is in this image ?", "what do you see ?", "describe it", "what is it ?", "describe this image ."]
RECOLOUR = ["now make it {color}", "make it {color}", "change it to {color}", "now change it to {color}"]
MOVE = ["move it to the {position}", "now move it to the {position}", "put it {at} the {position}"]
BIGGER = ["make it bigger", "now make it bigger", "make it larger"]
SMALLER = ["make it smaller", "now make it smaller"]
EDITED_REPLY = ("here is", "anything else ?")  # "here is <caption of the edited image>", the image, then this


def edit_requests(combo, rng):
    """Every edit of a shapes combo as (request text, edited combo): recolour (not to its own or the background's
    colour), move to another cell, bigger when small, smaller when large. rng picks each request's paraphrase."""
    size, color, shape, pos, bg = combo
    out = [(rng.choice(RECOLOUR).format(color=c), (size, c, shape, pos, bg)) for c in COLOR_NAMES if c not in (color, bg)]
    for p in POSITION_NAMES:
        if p != pos:
            at = "in" if p == "center" else "at"
            out.append((rng.choice(MOVE).format(position=p, at=at), (size, color, shape, p, bg)))
    if size == "small":
        out.append((rng.choice(BIGGER), ("large", color, shape, pos, bg)))
    else:
        out.append((rng.choice(SMALLER), ("small", color, shape, pos, bg)))
    return out


def chat_words():
    """Every word the templates use, so the vocab holds them."""
    return (QUESTIONS + DRAW_VERBS + list(DRAW_REPLY + EDIT_REPLY + EDITED_REPLY) + FOLLOW_UPS + BIGGER + SMALLER
            + [t.format(color=c) for t in [EDIT_TEMPLATE] + RECOLOUR for c in COLOR_NAMES]
            + [t.format(position=p, at=a) for t in MOVE for p in POSITION_NAMES for a in ("at", "in")])


def build_edit_pairs(train_combos, n, seed, jitter_px=JITTER_PX):
    """n (before, after) renders of train combos that differ only in object colour, with the same jitter.
    Both combos are training combos, so held-out prompts stay unseen. Returns a dataset split dict."""
    rng = random.Random(seed)
    train_set = set(train_combos)
    a_imgs, b_imgs, a_caps, b_caps, colors = [], [], [], [], []
    while len(colors) < n:
        size, color, shape, pos, bg = rng.choice(train_combos)
        new = rng.choice([c for c in COLOR_NAMES if c not in (color, bg)])
        after = (size, new, shape, pos, bg)
        if after not in train_set:
            continue
        jitter_seed = rng.getrandbits(32)
        a_imgs.append(render((size, color, shape, pos, bg), random.Random(jitter_seed), jitter_px))
        b_imgs.append(render(after, random.Random(jitter_seed), jitter_px))
        a_caps.append(shape_caption(size, color, shape, pos, bg))
        b_caps.append(shape_caption(*after))
        colors.append(new)
    return {"images": np.stack(a_imgs), "captions": a_caps, "after_images": np.stack(b_imgs),
            "after_captions": b_caps, "new_colors": colors}
