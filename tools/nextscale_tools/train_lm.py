"""Stage 3: train the unified decoder on a mix of text-to-image and captioning sequences (time-boxed, resumable)."""
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .model import NextScaleDecoder
from .seq import block_upsample_matrix, caption_layout, collate, gather_block_feats, t2i_layout
from .vocab import Vocab


def make_vocab(data, codebook_size):
    return Vocab.from_captions([c for d in data.values() for c in d["captions"]], codebook_size)


def scale_weights(scales, alpha):
    """k_s = 1 / (h_s w_s)^alpha, normalised so a whole image's token weights sum to 1."""
    k = np.array([1.0 / (s * s) ** alpha for s in scales])
    return k / sum(k[i] * scales[i] ** 2 for i in range(len(scales)))


def build_batch(kinds_idx, data, tokens, vocab, cfg, rng):
    """kinds_idx: list of (kind, split, index). Returns tensors + target/weight [B, L] + input codes [B, N_in]."""
    scales, lm = cfg["vq"]["scales"], cfg["lm"]
    C = lm["rope_image_range"]
    kw = scale_weights(scales, lm["loss_alpha"])
    n_in = sum(s * s for s in scales[:-1])
    cell_scale = np.concatenate([np.full(s * s, i) for i, s in enumerate(scales)])
    layouts, targets, weights, in_codes = [], [], [], []
    for kind, split, i in kinds_idx:
        codes = tokens[split]["codes"][i].astype(np.int64)
        words = vocab.encode(data[split]["captions"][i])[: lm["max_text_words"]]
        if kind == "t2i":
            if rng.random() < lm["prompt_dropout"]:
                words = [vocab.null] * len(words)
            lay, p0 = t2i_layout(vocab, words, scales, C, len(scales))
            tgt = np.full(len(lay), -1); wt = np.zeros(len(lay))
            tgt[p0 - 1] = vocab.image_start + codes[0]; wt[p0 - 1] = kw[0]
            slot = np.array(lay.slot)
            m = slot >= 0
            tgt[m] = vocab.image_start + codes[1 + slot[m]]
            wt[m] = kw[cell_scale[1 + slot[m]]]
            inp = codes[:n_in].copy()
            top = tokens[split]["topk"][i].astype(np.int64)  # [n_in, k]
            swap = rng.random(n_in) < lm["self_correct_prob"]  # self-correction: input from top-k, target stays top-1
            inp[swap] = top[swap, rng.integers(0, top.shape[1], swap.sum())]
        else:
            lay = caption_layout(vocab, words, scales, C)
            tgt = np.full(len(lay), -1); wt = np.zeros(len(lay))
            start = len(lay) - len(words) - 2  # position of <eoi>
            tgt[start:start + len(words) + 1] = words + [vocab.eos]
            wt[start:start + len(words) + 1] = 1.0 / (len(words) + 1)
            inp = codes[:n_in]
        layouts.append(lay); targets.append(tgt); weights.append(wt); in_codes.append(inp)
    ids, scale, pos, group, slot = collate(layouts, vocab.pad)
    L = ids.shape[1]
    tgt_BL = torch.full((len(layouts), L), -1, dtype=torch.long)
    wt_BL = torch.zeros(len(layouts), L)
    for b, (t, w) in enumerate(zip(targets, weights)):
        tgt_BL[b, :len(t)] = torch.from_numpy(t); wt_BL[b, :len(w)] = torch.from_numpy(w).float()
    return ids, scale, pos, group, slot, tgt_BL, wt_BL, torch.from_numpy(np.stack(in_codes))


def sample_kinds(cfg, data, rng, batch):
    """Draw (kind, split, index) per row from the configured mix."""
    mix = cfg["lm"]["mix"]
    names = list(mix)
    picks = rng.choice(len(names), size=batch, p=[mix[n] for n in names])
    out = []
    for p in picks:
        src, kind = names[p].split("_")
        split = "shapes_train" if src == "shapes" else "emoji"
        out.append((kind, split, int(rng.integers(0, len(data[split]["captions"])))))
    return out


def lm_loss(model, M, codebook, batch, image_start):
    """Weighted CE. Image targets are scored over the image-code rows of the shared head, text targets over
    the full vocab: the sampler only ever reads the image slice at image positions, and this cuts the head
    cost ~4x (the emoji word list makes the text part of the vocab large)."""
    ids, scale, pos, group, slot, tgt, wt, in_codes = batch
    feats = gather_block_feats(M, codebook, in_codes, slot)
    h = model.hidden(ids, feats, scale, pos, group)
    img = tgt >= image_start
    txt = (tgt >= 0) & ~img
    W = model.head.weight
    ce_img = F.cross_entropy(h[img] @ W[image_start:].t(), tgt[img] - image_start, reduction="none")
    ce_txt = F.cross_entropy(h[txt] @ W.t(), tgt[txt], reduction="none")
    return ((ce_img * wt[img]).sum() + (ce_txt * wt[txt]).sum()) / ids.shape[0]


def train_lm(cfg, vq, tokens, run_dir, log, data):
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
        model.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"])
        step, elapsed = ck["step"], ck["elapsed"]
        rng = np.random.default_rng([cfg["seed"], step])
        log(f"lm: resumed at step {step} ({elapsed / 60:.1f} min)")
    log(f"lm: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M params, vocab {vocab.size}")
    M = block_upsample_matrix(cfg["vq"]["scales"])
    codebook = vq.codebook.weight.detach()
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
        batch = build_batch(sample_kinds(cfg, data, rng, lm["batch"]), data, tokens, vocab, cfg, rng)
        loss = lm_loss(model, M, codebook, batch, vocab.image_start)
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
