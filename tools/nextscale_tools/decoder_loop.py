"""The time-boxed, resumable training loop shared by the decoder-only fine-tunes (encoder, codebook and decoder LM
frozen): each batch draws from several pools of (f_hat, target image) pairs in fixed numbers."""
import math
import os
import time

import numpy as np
import torch

from .train_vq import heldout_scores, reconstruction_loss
from .vq import to_unit


def finetune_and_record(vq, pools, ft, data, run_dir, key, state_name, seed, log, tag):
    """train_decoder with held-out scores logged before and after, then the decoder written into run_dir/vq.pt
    (its PSNR and reconstruction-checker scores updated) with {key}_done and {key}_steps set. The loop's own
    checkpoint is run_dir/state_name."""
    before, before_ck = heldout_scores(vq, data)
    log(f"{tag}: start PSNR shapes {before['shapes']:.2f} emoji {before['emoji']:.2f} dB, checker {before_ck}")
    step = train_decoder(vq, pools, ft, os.path.join(run_dir, state_name), seed, log, tag)
    scores, ceiling = heldout_scores(vq, data)
    log(f"{tag} done: {step} steps, held-out PSNR shapes {scores['shapes']:.2f} dB emoji {scores['emoji']:.2f} dB; "
        f"checker on held-out shape reconstructions {ceiling}")
    path = os.path.join(run_dir, "vq.pt")
    ck = torch.load(path)
    ck.update({"model": vq.state_dict(), "psnr": scores, "checker": ceiling, f"{key}_done": True, f"{key}_steps": step})
    torch.save(ck, path + ".tmp")
    os.replace(path + ".tmp", path)


def train_decoder(vq, pools, ft, state_path, seed, log, tag):
    """pools: [(f_hat_NDhw tensor, targets_NHW3 uint8, per_batch)]. ft: {minutes, lr, edge_weight, l1_weight}.
    Checkpoints (decoder, optimizer, step, elapsed) to state_path every 3 minutes. Returns the steps taken."""
    for p in vq.parameters():
        p.requires_grad_(False)
    for p in vq.decoder.parameters():
        p.requires_grad_(True)
    opt = torch.optim.Adam(vq.decoder.parameters(), lr=ft["lr"], betas=(0.9, 0.99))
    step, elapsed = 0, 0.0
    if os.path.exists(state_path):
        st = torch.load(state_path)
        vq.decoder.load_state_dict(st["decoder"])
        opt.load_state_dict(st["opt"])
        step, elapsed = st["step"], st["elapsed"]
        log(f"{tag}: resumed at step {step}")
    gen = torch.Generator().manual_seed(seed + step)
    budget = ft["minutes"] * 60
    t0, last_ck = time.time() - elapsed, time.time()

    def save_state():
        torch.save({"decoder": vq.decoder.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": time.time() - t0}, state_path + ".tmp")
        os.replace(state_path + ".tmp", state_path)

    while time.time() - t0 < budget:
        frac = (time.time() - t0) / budget
        for g in opt.param_groups:
            g["lr"] = ft["lr"] * min(1.0, (step + 1) / 100) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        picks = [(f, x, torch.randint(0, len(x), (n,), generator=gen)) for f, x, n in pools if n > 0]
        target = to_unit(np.concatenate([x[i.numpy()] for _, x, i in picks]))
        recon = vq.decoder(torch.cat([f[i] for f, _, i in picks]))
        loss = reconstruction_loss(recon, target, ft["l1_weight"], ft["edge_weight"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 200 == 0:
            log(f"{tag} step {step} t={time.time() - t0:.0f}s rec={loss.item():.4f}")
        if time.time() - last_ck > 180:
            save_state()
            last_ck = time.time()
    save_state()
    for p in vq.parameters():
        p.requires_grad_(True)
    return step
