"""Varied renders of shapes for reading (captions of attached images), so captions hold on images that were not
drawn like the training targets: crisp or antialiased edges (supersampling 1-4x, so 64 px and box-downsized
128 px inputs alike), sizes across each size class, offsets inside the grid cell, nearby shades of each colour
name, and JPEG-like noise. Training draws these with PIL; tools/eval.py measures on render_heldout.py, a renderer
training never uses.
"""
import io

import numpy as np
from PIL import Image, ImageDraw

from .palette import COLORS, POSITIONS, nearest_color
from .shapes import IMAGE_SIZE

# half-extent range (64 px units) of each size class: "small" and "large" stay apart (the classic renders: 6, 10)
HALF_EXTENT_RANGE = {"small": (4.5, 7.5), "large": (8.5, 11.5)}
OFFSET_PX = 3.0
SHADE = 28  # per-channel shade offset, kept only when the colour still reads as its own name


def shade(name, rng):
    """A nearby shade of a palette colour whose nearest palette name is still `name`."""
    base = np.array(COLORS[name], dtype=np.float64)
    for _ in range(20):
        rgb = np.clip(base + rng.uniform(-SHADE, SHADE, 3), 0, 255)
        if nearest_color(rgb) == name:
            return tuple(int(round(v)) for v in rgb)
    return COLORS[name]


def render_varied(combo, rng):
    """combo rendered with random edges, extent, offset, shades and noise; rng: numpy Generator. uint8 64x64x3."""
    size, color, shape, pos, bg = combo
    ss = int(rng.choice([1, 1, 2, 3, 4]))  # 1: crisp (no antialiasing); 2: a 128 px drawing box-downsized
    n = IMAGE_SIZE * ss
    img = Image.new("RGB", (n, n), shade(bg, rng))
    draw = ImageDraw.Draw(img)
    row, col = POSITIONS[pos]
    cell = IMAGE_SIZE / 3
    r = rng.uniform(*HALF_EXTENT_RANGE[size])
    cx = np.clip((col + 0.5) * cell + rng.uniform(-OFFSET_PX, OFFSET_PX), r, IMAGE_SIZE - r)
    cy = np.clip((row + 0.5) * cell + rng.uniform(-OFFSET_PX, OFFSET_PX), r, IMAGE_SIZE - r)
    box = [(cx - r) * ss, (cy - r) * ss, (cx + r) * ss - 1, (cy + r) * ss - 1]
    fill = shade(color, rng)
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    else:
        draw.polygon([(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) / 2, box[1])], fill=fill)
    if ss > 1:
        img = img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BOX)
    if rng.random() < 0.4:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=int(rng.integers(35, 95)))
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    out = np.asarray(img, dtype=np.float64)
    if rng.random() < 0.3:
        out = out + rng.normal(0, rng.uniform(1, 5), out.shape)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def build_varied(combos, variants, seed):
    """Each combo rendered `variants` times. Returns (images_NHW3 uint8, captions)."""
    from .palette import shape_caption
    rng = np.random.default_rng(seed)
    images, captions = [], []
    for c in combos:
        for _ in range(variants):
            images.append(render_varied(c, rng))
            captions.append(shape_caption(*c))
    return np.stack(images), captions
