"""Procedural checker for shapes-world images: background colour, object colour, shape and position."""
import numpy as np

from .palette import COLORS, POSITIONS, nearest_color

_PAL_NAMES = list(COLORS)
_PAL = np.array([COLORS[n] for n in _PAL_NAMES], dtype=np.float32)


def _label_map(img_HW3):
    d = ((img_HW3[:, :, None, :].astype(np.float32) - _PAL[None, None]) ** 2).sum(-1)
    return d.argmin(-1)


def analyze(img_HW3):
    """Returns {"bg", "color", "shape", "position"} (None where undecidable) for a uint8 HxWx3 image."""
    H, W, _ = img_HW3.shape
    lab = _label_map(img_HW3)
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    bg = int(np.bincount(border, minlength=len(_PAL)).argmax())
    # object = pixels clearly different from the background colour (not just its nearest-label edge)
    diff = np.sqrt(((img_HW3.astype(np.float32) - _PAL[bg]) ** 2).sum(-1))
    mask = diff > 60
    out = {"bg": _PAL_NAMES[bg], "color": None, "shape": None, "position": None}
    if mask.sum() < 12:
        return out
    obj_labels = lab[mask]
    obj_labels = obj_labels[obj_labels != bg]
    if len(obj_labels):
        out["color"] = _PAL_NAMES[int(np.bincount(obj_labels, minlength=len(_PAL)).argmax())]
    else:
        out["color"] = nearest_color(np.median(img_HW3[mask], axis=0))
    # largest blob proxy: use the colour-matched mask for geometry
    cmask = mask & (lab == _PAL_NAMES.index(out["color"]))
    if cmask.sum() < 12:
        cmask = mask
    ys, xs = np.nonzero(cmask)
    cy, cx = ys.mean(), xs.mean()
    row, col = min(int(cy / (H / 3)), 2), min(int(cx / (W / 3)), 2)
    out["position"] = next(n for n, rc in POSITIONS.items() if rc == (row, col))
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    fill = cmask[y0:y1, x0:x1].mean()
    # triangle: fill ~0.5 and mass in the lower half; circle ~0.785; square ~1.0
    top_half = cmask[y0:(y0 + y1) // 2, x0:x1].sum() / max(cmask[y0:y1, x0:x1].sum(), 1)
    if fill < 0.64 or top_half < 0.38:
        out["shape"] = "triangle"
    elif fill < 0.9:
        out["shape"] = "circle"
    else:
        out["shape"] = "square"
    return out


def score(images, combos):
    """Per-attribute accuracy (%) of images against their (size, color, shape, position, bg) combos."""
    hits = {"bg": 0, "color": 0, "shape": 0, "position": 0}
    for img, (size, color, shape, pos, bg) in zip(images, combos):
        a = analyze(img)
        hits["bg"] += a["bg"] == bg
        hits["color"] += a["color"] == color
        hits["shape"] += a["shape"] == shape
        hits["position"] += a["position"] == pos
    return {k: 100.0 * v / max(len(images), 1) for k, v in hits.items()}
