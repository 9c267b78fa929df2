"""Stage 2: encode every image to multi-scale codes (top-1 targets + top-k inputs for self-correction)."""
import os

import numpy as np
import torch

from .vq import to_unit

# splits that are only ever read (attached images), never drawn: no self-correction chains
INPUT_ONLY = {"shapes_varied"}


def _latents(vq, images_u8, batch):
    """The encoder's latents, a batch at a time (eval mode)."""
    vq.eval()
    for i in range(0, len(images_u8), batch):
        yield vq.encoder(to_unit(images_u8[i:i + batch]))


def _flat(per_scale):
    """Per-scale [B,h,w] codes -> [B, sum h^2], row-major coarse->fine."""
    return torch.cat([x.flatten(1) for x in per_scale], 1)


@torch.no_grad()
def tokenize_images(vq, images_u8, topk, batch=256):
    """Returns (codes [N, sum h^2] int16 row-major coarse->fine, topk [N, sum_{s<S-1} h^2, k] int16)."""
    codes, tops = [], []
    for z in _latents(vq, images_u8, batch):
        _, c, t, _ = vq.quantize(z, topk=topk)
        codes.append(_flat(c).short().numpy())
        tops.append(torch.cat([x.flatten(1, 2) for x in t[:-1]], 1).short().numpy())
    return np.concatenate(codes), np.concatenate(tops)


@torch.no_grad()
def chain_images(vq, images_u8, topk, prob, variants, seed, batch=256):
    """`variants` self-correction chains per image (vq.quantize_chain). Returns (inputs, targets), each
    [N, variants, sum h^2] int16, row-major coarse->fine."""
    gen = torch.Generator().manual_seed(seed)
    inp, tgt = [], []
    for z in _latents(vq, images_u8, batch):
        chains = [vq.quantize_chain(z, topk, prob, gen) for _ in range(variants)]
        inp.append(torch.stack([_flat(i) for i, _ in chains], 1).short().numpy())
        tgt.append(torch.stack([_flat(t) for _, t in chains], 1).short().numpy())
    return np.concatenate(inp), np.concatenate(tgt)


def load_or_tokenize(vq, data, cfg, run_dir, log):
    """Codes of every image field ("images" -> codes/topk, "after_images" -> after_codes/after_topk) of every
    split and, with lm.self_correct_chains = n, n self-correction chains per image (chain_inp/chain_tgt), cached
    in run_dir/tokens.npz; whatever the cache lacks (or holds with another chain count) is added."""
    path = os.path.join(run_dir, "tokens.npz")
    out = _unflatten(np.load(path)) if os.path.exists(path) else {}
    lm = cfg["lm"]
    variants = lm.get("self_correct_chains", 0)
    wanted = {split: [(field, prefix) for field, prefix in (("images", ""), ("after_images", "after_")) if field in d]
              for split, d in data.items()}
    def has_chains(have, prefix, split):
        return split in INPUT_ONLY or (prefix + "chain_inp" in have and have[prefix + "chain_inp"].shape[1] == variants)

    if all(prefix + "codes" in out.get(split, {}) and (not variants or has_chains(out[split], prefix, split))
           for split, fields in wanted.items() for _, prefix in fields):
        return out
    for split, fields in wanted.items():
        have = out.setdefault(split, {})
        for field, prefix in fields:
            if prefix + "codes" not in have:
                codes, tops = tokenize_images(vq, data[split][field], lm["self_correct_topk"])
                have.update({prefix + "codes": codes, prefix + "topk": tops})
                log(f"tokenized {split}.{field}: {codes.shape}")
            if variants and not has_chains(have, prefix, split):
                seed = cfg["seed"] * 1000 + sorted(wanted).index(split) * 2 + (prefix != "")
                inp, tgt = chain_images(vq, data[split][field], lm["self_correct_topk"], lm["self_correct_prob"],
                                        variants, seed)
                have.update({prefix + "chain_inp": inp, prefix + "chain_tgt": tgt})
                log(f"self-correction chains {split}.{field}: {inp.shape}")
    np.savez(path + ".tmp.npz", **{f"{s}__{f}": v for s, d in out.items() for f, v in d.items()})
    os.replace(path + ".tmp.npz", path)
    return out


def _unflatten(z):
    out = {}
    for key in z.files:
        split, field = key.split("__")
        out.setdefault(split, {})[field] = z[key]
    return out
