"""Chat tasks of the default model: templates, edit pairs, and the sequences they make (docs/model-format.md).

  caption:  <bos> <user> <boi> IMG <eoi> what is in this image ? <assistant> a small red circle ... <eos>
  draw:     <bos> <user> draw a small red circle ... <assistant> here you go <boi> IMG <eoi> anything else ? <eos>
  edit:     ... draw turn ... <user> now make it blue <assistant> done <boi> IMG' <eoi> anything else ? <eos>
Replies interleave: text, then the image, then text again, all in one turn.
The edit keeps size, shape, position, background and the jitter; only the object colour changes.
"""
import random

import numpy as np

from .palette import COLOR_NAMES, shape_caption
from .shapes import JITTER_PX, render

QUESTIONS = ["what is in this image ?", "describe this image .", "what do you see ?"]
DRAW_VERBS = ["draw", "draw me", "show me", "make an image of"]
EDIT_TEMPLATE = "now make it {color}"
DRAW_REPLY = ("here you go", "anything else ?")  # text before and after the image of a drawing reply
EDIT_REPLY = ("done", "anything else ?")


def chat_words():
    """Every word the templates use, so the vocab holds them."""
    return QUESTIONS + DRAW_VERBS + list(DRAW_REPLY + EDIT_REPLY) + [EDIT_TEMPLATE.format(color=c) for c in COLOR_NAMES]


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
