"""Stage 2: encode every image to multi-scale codes (top-1 targets + top-k inputs for self-correction)."""
import os

import numpy as np
import torch

from .vq import to_unit


@torch.no_grad()
def tokenize_images(vq, images_u8, topk, batch=256):
    """Returns (codes [N, sum h^2] int16 row-major coarse->fine, topk [N, sum_{s<S-1} h^2, k] int16)."""
    vq.eval()
    codes, tops = [], []
    for i in range(0, len(images_u8), batch):
        z = vq.encoder(to_unit(images_u8[i:i + batch]))
        _, c, t, _ = vq.quantize(z, topk=topk)
        codes.append(torch.cat([x.flatten(1) for x in c], 1).short().numpy())
        tops.append(torch.cat([x.flatten(1, 2) for x in t[:-1]], 1).short().numpy())
    return np.concatenate(codes), np.concatenate(tops)


def load_or_tokenize(vq, data, cfg, run_dir, log):
    """Codes of every image field ("images" -> codes/topk, "after_images" -> after_codes/after_topk) of every
    split, cached in run_dir/tokens.npz; splits missing from the cache are added."""
    path = os.path.join(run_dir, "tokens.npz")
    out = _unflatten(np.load(path)) if os.path.exists(path) else {}
    if all(split in out for split in data):
        return out
    for split, d in data.items():
        if split in out:
            continue
        out[split] = {}
        for field, prefix in (("images", ""), ("after_images", "after_")):
            if field in d:
                codes, tops = tokenize_images(vq, d[field], cfg["lm"]["self_correct_topk"])
                out[split].update({prefix + "codes": codes, prefix + "topk": tops})
                log(f"tokenized {split}.{field}: {codes.shape}")
    np.savez(path + ".tmp.npz", **{f"{s}__{f}": v for s, d in out.items() for f, v in d.items()})
    os.replace(path + ".tmp.npz", path)
    return out


def _unflatten(z):
    out = {}
    for key in z.files:
        split, field = key.split("__")
        out.setdefault(split, {})[field] = z[key]
    return out
