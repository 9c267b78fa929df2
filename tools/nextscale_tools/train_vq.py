"""Stage 1: train the multi-scale VQ tokenizer (MSE + L1 + VQ losses, dead-code restarts), time-boxed, resumable."""
import math
import os
import time

import numpy as np
import torch

from . import checker, shapes
from .vq import MultiScaleVQ, psnr, to_uint8, to_unit


def vq_train_images(data):
    """Training pool: train shapes + emoji except the VQ-held-out ones. Returns (shapes, emoji) uint8 arrays."""
    e = data["emoji"]
    keep = np.setdiff1d(np.arange(len(e["captions"])), e["vq_heldout"])
    return data["shapes_train"]["images"], e["images"][keep]


@torch.no_grad()
def heldout_scores(vq, data, limit=256):
    """Held-out PSNR (dB) of shapes and emoji reconstructions, and the procedural checker's per-attribute
    accuracy (%) on the shapes reconstructions: the ceiling for any decoder that emits this tokenizer's codes."""
    vq.eval()
    psnr_db, recon = {}, {}
    e = data["emoji"]
    for name, imgs in (("shapes", data["shapes_heldout"]["images"][:limit]), ("emoji", e["images"][e["vq_heldout"]])):
        z = vq.encoder(to_unit(imgs))
        f_hat, _, _, _ = vq.quantize(z)
        recon[name] = to_uint8(vq.decoder(f_hat))
        psnr_db[name] = psnr(recon[name], imgs)
    vq.train()
    combos = shapes.split_combos()[1][:len(recon["shapes"])]  # the held-out split is built in this order
    return psnr_db, checker.score(list(recon["shapes"]), combos)


def edge_map(x_B3HW):
    """Per-pixel edge strength in [0, 1]: the largest absolute step to a 4-neighbour, over channels."""
    d = torch.zeros_like(x_B3HW[:, :1])
    dy = (x_B3HW[:, :, 1:] - x_B3HW[:, :, :-1]).abs().amax(1, keepdim=True)
    dx = (x_B3HW[:, :, :, 1:] - x_B3HW[:, :, :, :-1]).abs().amax(1, keepdim=True)
    d[:, :, 1:] = torch.maximum(d[:, :, 1:], dy)
    d[:, :, :-1] = torch.maximum(d[:, :, :-1], dy)
    d[:, :, :, 1:] = torch.maximum(d[:, :, :, 1:], dx)
    d[:, :, :, :-1] = torch.maximum(d[:, :, :, :-1], dx)
    return d.clamp(max=1.0)


def reconstruction_loss(recon, x, l1_weight, edge_weight):
    """MSE + l1_weight·L1, each pixel weighted by 1 + edge_weight·edge_map(x). Plain MSE settles for blurred
    edges: flat images are mostly background, so a blurred 12 px square costs little, yet the checker (and a
    viewer) reads its rounded corners as a circle. Weighting edges puts the decoder's capacity where shape is."""
    w = 1.0 + edge_weight * edge_map(x)
    err = recon - x
    return (w * err * err).mean() + l1_weight * (w * err.abs()).mean()


def _restart_dead_codes(vq, usage_K, resid, gen):
    """Codes unused since the last restart get random current residual vectors (keeps all 512 in play)."""
    dead = (usage_K == 0).nonzero().flatten()
    if len(dead) == 0:
        return 0
    pool_ND = torch.cat([r.permute(0, 2, 3, 1).reshape(-1, r.shape[1]) for r in resid]).detach()
    pick = torch.randint(0, pool_ND.shape[0], (len(dead),), generator=gen)
    vq.codebook.weight.data[dead] = pool_ND[pick] + 0.01 * torch.randn(len(dead), pool_ND.shape[1], generator=gen)
    return len(dead)


def train_vq(cfg_vq, data, run_dir, seed, log=print):
    """Trains until cfg minutes/max_steps; checkpoints to run_dir/vq.pt. Returns the trained MultiScaleVQ."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    vq = MultiScaleVQ(cfg_vq)
    opt = torch.optim.Adam(vq.parameters(), lr=cfg_vq["lr"], betas=(0.9, 0.99))
    path = os.path.join(run_dir, "vq.pt")
    step, elapsed = 0, 0.0
    if os.path.exists(path):
        ck = torch.load(path)
        vq.load_state_dict(ck["model"])
        if ck["opt"] is not None:  # None when seeded from an exported model (train.py --vq-from)
            opt.load_state_dict(ck["opt"])
        step, elapsed = ck["step"], ck["elapsed"]
        if ck.get("done"):
            log(f"vq: loaded finished checkpoint (step {step})")
            return vq
    shapes_u8, emoji_u8 = vq_train_images(data)
    B = cfg_vq["batch"]
    n_emoji = int(round(B * cfg_vq["emoji_fraction"]))
    usage_K = torch.zeros(cfg_vq["codebook_size"])
    budget = cfg_vq["minutes"] * 60
    t0, last_ck = time.time() - elapsed, time.time()
    while step < cfg_vq["max_steps"] and time.time() - t0 < budget:
        frac = (time.time() - t0) / budget  # cosine to 10 % over the time budget: sharper late reconstructions
        for g in opt.param_groups:
            g["lr"] = cfg_vq["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        si = torch.randint(0, len(shapes_u8), (B - n_emoji,), generator=gen).numpy()
        ei = torch.randint(0, len(emoji_u8), (n_emoji,), generator=gen).numpy()
        x = to_unit(np.concatenate([shapes_u8[si], emoji_u8[ei]]))
        z = vq.encoder(x)
        f_hat, codes, _, resid = vq.quantize(z)
        vq_loss = torch.nn.functional.mse_loss(f_hat, z.detach()) + 0.25 * torch.nn.functional.mse_loss(z, f_hat.detach())
        recon = vq.decoder(z + (f_hat - z).detach())
        rec_loss = reconstruction_loss(recon, x, cfg_vq.get("l1_weight", 0.0), cfg_vq.get("edge_weight", 0.0))
        loss = rec_loss + vq_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        for c in codes:
            usage_K += torch.bincount(c.flatten(), minlength=usage_K.numel()).float()
        step += 1
        if step % cfg_vq["dead_code_every"] == 0:
            n_dead = _restart_dead_codes(vq, usage_K, resid, gen) if time.time() - t0 < 0.8 * budget else 0
            used = int((usage_K > 0).sum())
            usage_K.zero_()
            log(f"vq step {step} t={time.time() - t0:.0f}s rec={rec_loss.item():.4f} vq={vq_loss.item():.4f} "
                f"used={used} restarted={n_dead}")
        if time.time() - last_ck > 180:
            torch.save({"model": vq.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": time.time() - t0}, path)
            last_ck = time.time()
    scores, ceiling = heldout_scores(vq, data)
    log(f"vq done: {step} steps, held-out PSNR shapes {scores['shapes']:.2f} dB emoji {scores['emoji']:.2f} dB; "
        f"checker on held-out shape reconstructions {ceiling}")
    torch.save({"model": vq.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": time.time() - t0,
                "done": True, "psnr": scores, "checker": ceiling}, path)
    return vq
