"""Shapes world: attribute combos, the fixed train/held-out split, and deterministic rendering."""
import itertools
import random

import numpy as np
from PIL import Image, ImageDraw

from .palette import COLORS, COLOR_NAMES, POSITIONS, POSITION_NAMES, SHAPES, SIZES, shape_caption

IMAGE_SIZE = 64
SUPERSAMPLE = 4  # draw at 4x then box-downsample: smooth but still flat colours
HALF_EXTENT = {"small": 6.0, "large": 10.0}  # half-size of the object in 64px units
JITTER_PX = 2  # max offset of the object centre from its grid-cell centre
HOLDOUT_SPLIT_SEED = 1234
HOLDOUT_FRACTION = 0.08
# Colour-shape pairs never seen in training at all (a harder compositional test, reported apart).
HELDOUT_PAIRS = [("pink", "triangle"), ("green", "circle")]


def all_combos():
    """Every (size, color, shape, position, bg) with bg != color, in a fixed order."""
    out = []
    for size, color, shape, pos, bg in itertools.product(SIZES, COLOR_NAMES, SHAPES, POSITION_NAMES, COLOR_NAMES):
        if bg != color:
            out.append((size, color, shape, pos, bg))
    return out


def split_combos():
    """Returns (train, heldout_combos, heldout_pairs): a fixed ~8% of combos plus two whole colour-shape pairs."""
    combos = all_combos()
    pair_set = set(HELDOUT_PAIRS)
    pairs = [c for c in combos if (c[1], c[2]) in pair_set]
    rest = [c for c in combos if (c[1], c[2]) not in pair_set]
    rng = random.Random(HOLDOUT_SPLIT_SEED)
    held = set(rng.sample(range(len(rest)), int(round(HOLDOUT_FRACTION * len(rest)))))
    train = [c for i, c in enumerate(rest) if i not in held]
    heldout = [c for i, c in enumerate(rest) if i in held]
    return train, heldout, pairs


def data_jitter(data_cfg):
    """The recipe's data.jitter_px, or the renderer's default when the recipe predates the key."""
    return data_cfg.get("jitter_px", JITTER_PX)


def render(combo, rng, jitter_px=JITTER_PX):
    """Render one combo to a uint8 HxWx3 array; rng (random.Random) picks the jitter, up to jitter_px."""
    size, color, shape, pos, bg = combo
    s = SUPERSAMPLE
    img = Image.new("RGB", (IMAGE_SIZE * s, IMAGE_SIZE * s), COLORS[bg])
    draw = ImageDraw.Draw(img)
    row, col = POSITIONS[pos]
    cell = IMAGE_SIZE / 3
    cx = (col + 0.5) * cell + rng.uniform(-jitter_px, jitter_px)
    cy = (row + 0.5) * cell + rng.uniform(-jitter_px, jitter_px)
    r = HALF_EXTENT[size]
    box = [(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s]
    fill = COLORS[color]
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    elif shape == "triangle":
        draw.polygon([((cx - r) * s, (cy + r) * s), ((cx + r) * s, (cy + r) * s), (cx * s, (cy - r) * s)], fill=fill)
    else:
        raise ValueError(f"unknown shape {shape!r}")
    img = img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BOX)
    return np.asarray(img, dtype=np.uint8)


def build(combos, variants, seed, jitter_px=JITTER_PX):
    """Render each combo `variants` times. Returns (images_NHW3 uint8, captions list, combos list)."""
    rng = random.Random(seed)
    images, captions, tags = [], [], []
    for combo in combos:
        for _ in range(variants):
            images.append(render(combo, rng, jitter_px))
            captions.append(shape_caption(*combo))
            tags.append(combo)
    return np.stack(images), captions, tags
