"""Builds (and caches under data/) the full image+caption dataset, deterministically from a seed."""
import os
import random

import numpy as np

from . import chat, emoji, shapes
from .render_varied import build_varied

EDIT_PAIRS = 4000
VARIED_PER_COMBO = 4  # varied renders (render_varied.py) of each training combo, for reading attached images
DATA_VERSION = 4  # bump when build() changes, so stale caches are not reused
EMOJI_VQ_HOLDOUT = 64  # emoji kept out of VQ training only, to report held-out reconstruction PSNR


def build(seed, shape_variants, quick=False, jitter_px=shapes.JITTER_PX):
    """Returns a dict of splits; each split = {"images": uint8 [N,64,64,3], "captions": [str]}."""
    train, heldout, pairs = shapes.split_combos()
    if quick:  # smoke runs: a small, still deterministic subset
        r = random.Random(seed)
        train, heldout, pairs = r.sample(train, 256), heldout[:32], pairs[:16]
        shape_variants = 1
    out = {}
    for name, combos, variants, sub_seed in (("shapes_train", train, shape_variants, seed),
                                             ("shapes_heldout", heldout, 1, seed + 1),
                                             ("shapes_pairs", pairs, 1, seed + 2)):
        imgs, caps, _ = shapes.build(combos, variants, sub_seed, jitter_px)
        out[name] = {"images": imgs, "captions": caps}
    v_imgs, v_caps = build_varied(train, VARIED_PER_COMBO if not quick else 1, seed + 5)
    out["shapes_varied"] = {"images": v_imgs, "captions": v_caps}
    out["edits"] = chat.build_edit_pairs(train, EDIT_PAIRS if not quick else 32, seed + 4, jitter_px)
    e_imgs, e_caps = emoji.build()
    if quick:
        e_imgs, e_caps = e_imgs[::20], e_caps[::20]
    order = random.Random(seed + 3).sample(range(len(e_caps)), len(e_caps))
    vq_hold = set(order[:EMOJI_VQ_HOLDOUT if not quick else 4])
    out["emoji"] = {"images": e_imgs, "captions": e_caps,
                    "vq_heldout": np.array(sorted(vq_hold), dtype=np.int64)}
    return out


def load_or_build(cache_dir, seed, shape_variants, quick=False, jitter_px=shapes.JITTER_PX):
    """Cached build: data/dataset{VERSION}_s{seed}_v{variants}[_j{jitter}][_quick].npz (no _j part for the
    default jitter, so caches built before the key existed stay valid)."""
    jit = "" if jitter_px == shapes.JITTER_PX else f"_j{jitter_px:g}"
    tag = f"dataset{DATA_VERSION}_s{seed}_v{shape_variants}{jit}{'_quick' if quick else ''}"
    path = os.path.join(cache_dir, tag + ".npz")
    if os.path.exists(path):
        z = np.load(path, allow_pickle=False)
        out = {}
        for key in z.files:
            split, field = key.split("__")
            out.setdefault(split, {})[field] = [str(c) for c in z[key]] if z[key].dtype.kind == "U" else z[key]
        return out
    data = build(seed, shape_variants, quick, jitter_px)
    os.makedirs(cache_dir, exist_ok=True)
    flat = {f"{s}__{f}": np.asarray(v) for s, d in data.items() for f, v in d.items()}
    tmp = f"{path}.{os.getpid()}.tmp.npz"  # per process: two runs may build the same cache at once
    np.savez(tmp, **flat)
    os.replace(tmp, path)
    return data
