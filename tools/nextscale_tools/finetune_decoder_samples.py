"""Stage 4: fine-tune the tokenizer's decoder on the decoder LM's own samples (encoder, codebook and LM frozen).

The decoder only ever saw the encoder's codes. At generation the LM *samples* them, and its finest codes around a
12 px object are a noisy mix the clean-code decoder renders as a rounded blob: the checker reads most generated
squares as circles although the reconstructions of real squares stay squares. In the shapes world a caption fixes
its image exactly (data.jitter_px 0: the object sits at its grid-cell centre), so every code grid the LM samples
for a *training* caption has a true target, that caption's rendering. Training the decoder on those pairs, mixed
with clean reconstructions of shapes and emoji so it stays the tokenizer's decoder, teaches it to render what the
LM emits. Only codes -> pixels changes: tokens.npz, the goldens' codes and the LM stay valid.

Config: vq.sample_finetune = {samples, minutes, lr, batch, sample_fraction, emoji_fraction, edge_weight, l1_weight}.
Resumable: the samples are drawn in chunks into run_dir/lm_samples/, the fine-tune checkpoints every 3 min.
"""
import multiprocessing
import os
import random
import time

import numpy as np
import torch

from . import shapes
from .decoder_loop import finetune_and_record
from .finetune_vq_decoder import fhat_of
from .generate import Runner
from .palette import shape_caption
from .train_vq import vq_train_images

CHUNK = 250  # samples per file in run_dir/lm_samples/


def sample_prompts(n, seed):
    """n training-split combos (never held-out ones) and a sampling seed for each, deterministic in seed."""
    train = shapes.split_combos()[0]
    rng = random.Random(seed)
    return [rng.choice(train) for _ in range(n)], [seed * 1_000_003 + i for i in range(n)]


_RUNNER = None  # set before the worker processes fork, so they inherit the LM instead of unpickling it per chunk


def _draw_chunk(args):
    sampling, combos, seeds, path = args
    runner = _RUNNER
    rows = []
    for c, s in zip(combos, seeds):
        sc = runner.generate(shape_caption(*c), seed=s, cfg=sampling["cfg"], temperature=sampling["temperature"],
                             top_k=sampling["top_k"], top_p=sampling["top_p"])[0]
        rows.append([v for x in sc for v in x])
    np.save(path + ".tmp.npy", np.array(rows, dtype=np.int16))
    os.replace(path + ".tmp.npy", path)


def draw_samples(runner, sampling, n, seed, out_dir, log, workers=1):
    """Codes (flat, coarse->fine) the LM samples for n training prompts with the shipped sampling defaults.
    Returns (codes_NC int64, combos). Each chunk of CHUNK samples is one file in out_dir, so a stopped run
    resumes, and a sample depends only on its index (any number of worker processes gives the same codes)."""
    combos, seeds = sample_prompts(n, seed)
    os.makedirs(out_dir, exist_ok=True)
    chunks = [(k, os.path.join(out_dir, f"chunk_{k:04d}.npy")) for k in range((n + CHUNK - 1) // CHUNK)]
    # a chunk on disk counts only if whole: a run with fewer samples leaves its last chunk short
    todo = [(sampling, combos[k * CHUNK:(k + 1) * CHUNK], seeds[k * CHUNK:(k + 1) * CHUNK], p)
            for k, p in chunks if not os.path.exists(p) or len(np.load(p)) != len(combos[k * CHUNK:(k + 1) * CHUNK])]
    log(f"lm samples: {n - sum(len(t[1]) for t in todo)} of {n} on disk, drawing the rest with {workers} worker(s)")
    global _RUNNER
    _RUNNER, t0 = runner, time.time()
    if workers > 1 and len(todo) > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for done, _ in enumerate(pool.imap_unordered(_draw_chunk, todo), 1):
                log(f"lm samples: chunk {done} of {len(todo)} ({time.time() - t0:.0f}s)")
    else:
        for done, job in enumerate(todo, 1):
            _draw_chunk(job)
            log(f"lm samples: chunk {done} of {len(todo)} ({time.time() - t0:.0f}s)")
    return np.concatenate([np.load(p) for _, p in chunks]).astype(np.int64), combos


def fhat_of_codes(vq, codes_NC, chunk=512):
    """f_hat [N, D, 8, 8] of flat code rows (the scales' codes concatenated, coarse->fine)."""
    out = []
    with torch.no_grad():
        for i in range(0, len(codes_NC), chunk):
            c = torch.as_tensor(codes_NC[i:i + chunk], dtype=torch.long)
            maps, o = [], 0
            for s in vq.scales:
                maps.append(c[:, o:o + s * s].view(-1, s, s))
                o += s * s
            out.append(vq.codes_to_fhat(maps))
    return torch.cat(out)


def finetune_decoder_on_samples(cfg, vq, model, vocab, data, run_dir, log=print, workers=1):
    """Returns vq with its decoder fine-tuned on the LM's samples (a no-op without vq.sample_finetune, or when
    run_dir/vq.pt says it is done)."""
    ft = cfg["vq"].get("sample_finetune")
    path = os.path.join(run_dir, "vq.pt")
    if not ft or torch.load(path).get("sample_finetune_done"):
        return vq
    runner = Runner(model, vq, vocab, cfg["vq"]["scales"], cfg["lm"]["rope_image_range"])
    codes, combos = draw_samples(runner, cfg["sampling"], ft["samples"], cfg["seed"] + 29,
                                 os.path.join(run_dir, "lm_samples"), log, workers)
    targets = np.stack([shapes.render(c, random.Random(0), 0) for c in combos])
    B = ft["batch"]
    n_samples = int(round(B * ft["sample_fraction"]))
    n_emoji = int(round(B * ft["emoji_fraction"]))
    shapes_u8, emoji_u8 = vq_train_images(data)
    pools = [(fhat_of_codes(vq, codes), targets, n_samples), (fhat_of(vq, shapes_u8), shapes_u8, B - n_samples - n_emoji),
             (fhat_of(vq, emoji_u8), emoji_u8, n_emoji)]
    finetune_and_record(vq, pools, ft, data, run_dir, "sample_finetune", "vq_decoder_samples.pt",
                        cfg["seed"] + 31, log, "decoder on samples")
    return vq
