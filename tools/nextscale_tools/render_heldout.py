"""A second, independent shapes renderer used only by tools/eval.py: training never imports it (a test checks),
so caption scores on its images measure reading of drawings the model was not trained on.

Unlike the training renderers (PIL polygons), it rasterizes signed distances in numpy: either hard-edged at the
requested size (64 or 128 px) or with a one-pixel linear edge ramp, then area-downsizes 128 px drawings to 64
the way the engine's image input does (formats/image-fit.ts). Shades and extents are drawn from its own ranges.
"""
import numpy as np

from .palette import COLORS, POSITIONS, nearest_color

EXTENT = {"small": (5.0, 7.0), "large": (9.0, 11.0)}  # half-extent range in 64 px units


def _shade(name, rng):
    base = np.array(COLORS[name], dtype=np.float64)
    for _ in range(50):
        rgb = np.clip(base + rng.integers(-22, 23, 3), 0, 255)
        if nearest_color(rgb) == name:
            return rgb
    return base


def _sdf(shape, X, Y, cx, cy, r):
    """Signed distance (negative inside) to the shape, in pixels of the drawing."""
    if shape == "circle":
        return np.hypot(X - cx, Y - cy) - r
    if shape == "square":
        return np.maximum(np.abs(X - cx), np.abs(Y - cy)) - r
    # upward triangle with base 2r at cy + r and apex at cy - r: intersection of three half-planes
    k = 1 / np.sqrt(5.0)  # the slanted sides run (1, 2) and (-1, 2) from the apex: outward normals (+-2, -1)/sqrt(5)
    right = (2 * (X - cx) - (Y - (cy - r))) * k
    left = (-2 * (X - cx) - (Y - (cy - r))) * k
    return np.maximum(np.maximum(right, left), Y - (cy + r))


def render_heldout(combo, rng, side=64, soft=True):
    """uint8 64x64x3 image of combo drawn at side x side (64 or 128) px; soft: one-pixel edge ramp, else hard."""
    size, color, shape, pos, bg = combo
    f = side / 64
    row, col = POSITIONS[pos]
    r = rng.uniform(*EXTENT[size])
    cx = np.clip((col + 0.5) * 64 / 3 + rng.uniform(-2, 2), r, 64 - r) * f
    cy = np.clip((row + 0.5) * 64 / 3 + rng.uniform(-2, 2), r, 64 - r) * f
    Y, X = np.mgrid[0:side, 0:side] + 0.5
    d = _sdf(shape, X, Y, cx, cy, r * f)
    cover = np.clip(0.5 - d, 0, 1) if soft else (d <= 0).astype(np.float64)
    img = cover[..., None] * _shade(color, rng) + (1 - cover[..., None]) * _shade(bg, rng)
    if side != 64:
        img = img.reshape(64, side // 64, 64, side // 64, 3).mean((1, 3))
    return np.clip(np.round(img), 0, 255).astype(np.uint8)
