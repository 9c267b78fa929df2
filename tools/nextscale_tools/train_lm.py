"""Stage 3: train the unified decoder on a mix of text-to-image and captioning sequences (time-boxed, resumable)."""
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .model import NextScaleDecoder
from . import chat
from .rows import RowMaker
from .seq import block_upsample_matrix, collate, gather_block_feats
from .vocab import Vocab


def make_vocab(data, codebook_size):
    texts = [c for d in data.values() for key in ("captions", "after_captions") for c in d.get(key, [])]
    return Vocab.from_captions(texts + chat.chat_words(), codebook_size)


# task name -> (RowMaker method, [(split, probability)])
TASKS = {
    "shapes_t2i": ("t2i", [("shapes_train", 1.0)]),
    "shapes_cap": ("cap", [("shapes_train", 1.0)]),
    "emoji_t2i": ("t2i", [("emoji", 1.0)]),
    "emoji_cap": ("cap", [("emoji", 1.0)]),
    "chat_cap": ("chat_cap", [("shapes_train", 0.8), ("emoji", 0.2)]),
    "chat_draw": ("chat_draw", [("shapes_train", 0.8), ("emoji", 0.2)]),
    "chat_edit": ("chat_edit", [("edits", 1.0)]),
    "varied_cap": ("cap", [("shapes_varied", 1.0)]),
    "chat_cap_varied": ("chat_cap", [("shapes_varied", 1.0)]),
    "convo": ("convo", [("shapes_train", 1.0)]),
}


def sample_rows(maker, cfg, data, rng, batch):
    """Draw one Row per batch entry from the configured task mix."""
    mix = cfg["lm"]["mix"]
    names = list(mix)
    picks = rng.choice(len(names), size=batch, p=np.array([mix[n] for n in names]) / sum(mix.values()))
    rows = []
    for p in picks:
        method, splits = TASKS[names[p]]
        split = splits[rng.choice(len(splits), p=[q for _, q in splits])][0]
        rows.append(getattr(maker, method)(split, int(rng.integers(0, len(data[split]["captions"])))))
    return rows


def collate_rows(rows, pad_id, n_codes):
    """Rows -> (ids, scale, pos, group, slot, tgt, wt, in_codes), padded to the longest row and image count.
    n_codes: input codes per image (all scales)."""
    ids, scale, pos, group, slot = collate([r.lay for r in rows], pad_id)
    B, L = ids.shape
    K = max(r.n_images for r in rows)
    tgt = torch.full((B, L), -1, dtype=torch.long)
    wt = torch.zeros(B, L)
    inp = torch.zeros(B, K * n_codes, dtype=torch.long)
    for b, r in enumerate(rows):
        tgt[b, :len(r.tgt)] = torch.from_numpy(r.tgt)
        wt[b, :len(r.wt)] = torch.from_numpy(r.wt)
        if r.inp:
            inp[b, :len(r.inp) * n_codes] = torch.from_numpy(np.concatenate(r.inp))
    return ids, scale, pos, group, slot, tgt, wt, inp


def batch_groups(rows, pad_id, n_codes, split_lens=(200, 480)):
    """Rows go in separate forward passes by length, so a few long conversations do not pad the rest."""
    edges = (0,) + tuple(split_lens) + (1 << 30,)
    groups = [[r for r in rows if lo < len(r.lay) <= hi] for lo, hi in zip(edges, edges[1:])]
    return [collate_rows(g, pad_id, n_codes) for g in groups if g]


def soft_code_targets(codebook, tau):
    """[K, K] rows: the target distribution for each code, softmax(-|e_t - e_k|^2 / tau) over the codebook.
    Near-equal codes decode alike (shifting a shape 0.25 px changes a quarter of its finest codes for an
    almost identical image), so the finest scale is taught that its target's neighbours are nearly as right."""
    return torch.softmax(-torch.cdist(codebook, codebook).pow(2) / tau, dim=1)


def lm_loss(model, M, codebook, batch, image_start, finest_soft=None):
    """Sum of weighted CE over a batch. Image targets are scored over the image-code rows of the shared head,
    text targets over the full vocab: the sampler only ever reads the image slice at image positions, and this
    cuts the head cost ~4x (the emoji word list makes the text part of the vocab large).
    finest_soft: (soft_code_targets rows, block id of the finest scale), or None for one-hot targets."""
    ids, scale, pos, group, slot, tgt, wt, in_codes = batch
    feats = gather_block_feats(M, codebook, in_codes, slot)
    h = model.hidden(ids, feats, scale, pos, group)
    img = tgt >= image_start
    txt = (tgt >= 0) & ~img
    W = model.head.weight
    logp_img = F.log_softmax(h[img] @ W[image_start:].t(), dim=-1)
    code = tgt[img] - image_start
    ce_img = -logp_img.gather(1, code[:, None])[:, 0]
    if finest_soft is not None:
        Q, finest_block = finest_soft
        ce_img = torch.where(scale[img] == finest_block, -(Q[code] * logp_img).sum(-1), ce_img)
    ce_txt = F.cross_entropy(h[txt] @ W.t(), tgt[txt], reduction="none")
    return (ce_img * wt[img]).sum() + (ce_txt * wt[txt]).sum()


def remap_vocab_rows(old_state, new_state, old_words, vocab):
    """Old checkpoint weights in a new vocab layout: embedding and head rows move with their token (specials,
    words by name, image codes by index); rows of new words keep their fresh initialisation."""
    old = Vocab(old_words, vocab.codebook_size)
    src = {t: i for i, t in enumerate(old.specials + old.words)}
    out = dict(old_state)
    for key in ("embed_tokens.weight", "head.weight"):
        w = new_state[key].clone()
        for i, t in enumerate(vocab.specials + vocab.words):
            if t in src:
                w[i] = old_state[key][src[t]]
        w[vocab.image_start:] = old_state[key][old.image_start:]
        out[key] = w
    return out


def grow_depth(state, model, log):
    """An init checkpoint with fewer layers than the config: its layers keep their place at the bottom and the
    new ones go on top as identity blocks (o_proj and down_proj zero, so both residual branches add nothing).
    The grown model computes exactly what the checkpoint did, and gradients still reach every new weight."""
    have = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("layers."))
    want = model.c["layers"]
    if have >= want:
        return state
    out = dict(state)
    for k, v in model.state_dict().items():
        if k not in out:
            out[k] = v.clone()
    for i in range(have, want):
        out[f"layers.{i}.o_proj.weight"].zero_()
        out[f"layers.{i}.down_proj.weight"].zero_()
    log(f"lm: grew depth {have} -> {want} layers (new layers start as identity)")
    return out


def grow_width(state, model, log):
    """An init checkpoint narrower than the config (dim, heads, kv_heads, ffn): the old weights keep the leading
    block of every matrix. Everything that writes the residual stream (embeddings, img_in, scale_emb, o_proj,
    down_proj) gets zero rows for the new dims, so those dims stay zero and the grown model computes what the
    checkpoint did; the RMSNorm weights are scaled by sqrt(d_old/d_new) because the mean now runs over more
    (zero) dims, and the config's rms_eps must be the old one times d_old/d_new for the same reason.
    New query/key/value heads and FFN units read small random weights; their output columns start at zero and
    learn from the gradient that flows through the new residual dims."""
    fresh = model.state_dict()
    d_old, d_new = state["embed_tokens.weight"].shape[1], model.c["dim"]
    if d_old >= d_new:
        return state
    if model.c["heads"] % model.c["kv_heads"] or model.c["heads"] // model.c["kv_heads"] != \
            state["layers.0.q_proj.weight"].shape[0] // state["layers.0.k_proj.weight"].shape[0]:
        raise ValueError("grow_width keeps heads/kv_heads fixed, so every old query head reads its old kv head")
    norm_scale = (d_old / d_new) ** 0.5
    writes = ("embed_tokens.weight", "img_in.weight", "img_in.bias", "scale_emb", "o_proj.weight", "down_proj.weight")
    out = {}
    for k, v_new in fresh.items():
        old = state[k]
        if k.endswith("norm.weight"):
            w = torch.full_like(v_new, float(old.mean()) * norm_scale)
            w[:old.shape[0]] = old * norm_scale
        elif k.endswith(writes) or k.endswith("bias"):
            w = torch.zeros_like(v_new)
            w[tuple(slice(0, n) for n in old.shape)] = old
        else:  # a matrix that reads the residual stream (q, k, v, gate, up, head)
            w = torch.randn_like(v_new) * 0.02
            w[tuple(slice(0, n) for n in old.shape)] = old
        out[k] = w
    log(f"lm: grew width {d_old} -> {d_new} (new dims start at zero; the grown model computes what the init did "
        f"if lm.rms_eps is the init's times {d_old}/{d_new})")
    return out


def load_lm(cfg, data, run_dir):
    """The decoder LM in run_dir/lm.pt (eval mode) and its vocab; the vocab must be the one the data gives."""
    vocab = make_vocab(data, cfg["vq"]["codebook_size"])
    ck = torch.load(os.path.join(run_dir, "lm.pt"))
    if ck["vocab_words"] != vocab.words:
        raise ValueError(f"{run_dir}/lm.pt was trained on another vocab than this config's data gives")
    model = NextScaleDecoder(cfg["lm"], vocab.size, len(cfg["vq"]["scales"]), cfg["vq"]["code_dim"])
    model.load_state_dict(ck["model"])
    return model.eval(), vocab


def train_lm(cfg, vq, tokens, run_dir, log, data, init_from=None):
    """init_from: a checkpoint (lm.pt) whose weights start a fresh run (step 0, new optimizer), e.g. the
    previous tokenizer's decoder: its text and position structure carries over, its image rows relearn."""
    lm = cfg["lm"]
    vocab = make_vocab(data, cfg["vq"]["codebook_size"])
    with open(os.path.join(run_dir, "vocab_words.json"), "w") as f:
        json.dump(vocab.words, f)
    torch.manual_seed(cfg["seed"])
    model = NextScaleDecoder(lm, vocab.size, len(cfg["vq"]["scales"]), cfg["vq"]["code_dim"])
    opt = torch.optim.AdamW(model.parameters(), lr=lm["lr"], betas=(0.9, 0.95), weight_decay=0.01)
    path = os.path.join(run_dir, "lm.pt")
    step, elapsed = 0, 0.0
    rng = np.random.default_rng(cfg["seed"])
    if os.path.exists(path):
        ck = torch.load(path)
        if ck["vocab_words"] == vocab.words:
            model.load_state_dict(ck["model"])
            if ck.get("opt") is not None:  # None: seeded from an export (train.py --stage decoder)
                opt.load_state_dict(ck["opt"])
        else:  # the data gained words: keep every known row, start the optimizer afresh
            model.load_state_dict(remap_vocab_rows(ck["model"], model.state_dict(), ck["vocab_words"], vocab))
            log(f"lm: vocab changed ({len(ck['vocab_words'])} -> {len(vocab.words)} words); rows remapped by word")
        step, elapsed = ck["step"], ck["elapsed"]
        rng = np.random.default_rng([cfg["seed"], step])
        log(f"lm: resumed at step {step} ({elapsed / 60:.1f} min)")
    elif init_from:
        ck = torch.load(init_from)
        state = ck["model"] if ck["vocab_words"] == vocab.words else \
            remap_vocab_rows(ck["model"], model.state_dict(), ck["vocab_words"], vocab)
        model.load_state_dict(grow_depth(grow_width(state, model, log), model, log))
        log(f"lm: initialised from {init_from} (its step {ck['step']})")
    log(f"lm: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M params, vocab {vocab.size}")
    M = block_upsample_matrix(cfg["vq"]["scales"])
    maker = RowMaker(cfg, data, tokens, vocab, rng)
    codebook = vq.codebook.weight.detach()
    tau = lm.get("finest_soft_tau", 0.0)
    finest_soft = (soft_code_targets(codebook, tau), len(cfg["vq"]["scales"]) - 1) if tau > 0 else None
    budget = lm["minutes"] * 60
    t0 = time.time() - elapsed
    last_ck, ema = time.time(), None

    def save():
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": time.time() - t0, "vocab_words": vocab.words}, path + ".tmp")
        os.replace(path + ".tmp", path)

    while step < lm["max_steps"] and time.time() - t0 < budget:
        frac = (time.time() - t0) / budget
        lr = lm["lr"] * min(1.0, (step + 1) / lm["warmup"]) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        maker.rng = rng
        rows = sample_rows(maker, cfg, data, rng, lm["batch"])
        loss = sum(lm_loss(model, M, codebook, g, vocab.image_start, finest_soft)
                   for g in batch_groups(rows, vocab.pad, maker.n_codes)) / len(rows)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 50 == 0 or step == 1:
            log(f"lm step {step} t={time.time() - t0:.0f}s loss={loss.item():.3f} ema={ema:.3f} lr={lr:.2e}")
        if time.time() - last_ck > lm["checkpoint_minutes"] * 60:
            save()
            last_ck = time.time()
    save()
    log(f"lm done: {step} steps, {(time.time() - t0) / 60:.1f} min")
    return model, vocab
