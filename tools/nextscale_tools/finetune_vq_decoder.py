"""Stage 1b: sharpen the tokenizer's decoder with its encoder and codebook frozen.

Only codes -> pixels changes, so the image codes (tokens.npz, goldens' codes, and any decoder LM trained on
them) stay valid. The codes of a 12 px square already say "square"; a decoder trained jointly with a
moving encoder learned to hedge with rounded corners, which the checker (and a viewer) reads as a circle.
Config: vq.decoder_finetune = {minutes, lr, batch, edge_weight, l1_weight}. Time-boxed and resumable.
"""
import math
import os
import time

import numpy as np
import torch

from .train_vq import heldout_scores, reconstruction_loss, vq_train_images
from .vq import to_unit


@torch.no_grad()
def _fhat_of(vq, imgs_u8, chunk=512):
    out = []
    for i in range(0, len(imgs_u8), chunk):
        f_hat, _, _, _ = vq.quantize(vq.encoder(to_unit(imgs_u8[i:i + chunk])))
        out.append(f_hat)
    return torch.cat(out)


def finetune_vq_decoder(cfg_vq, vq, data, run_dir, seed, log=print):
    """Returns vq with its decoder fine-tuned (a no-op without vq.decoder_finetune or when already done)."""
    ft = cfg_vq.get("decoder_finetune")
    path = os.path.join(run_dir, "vq.pt")
    if not ft or torch.load(path).get("decoder_finetune_done"):
        return vq
    state_path = os.path.join(run_dir, "vq_decoder.pt")
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
        log(f"vq decoder fine-tune: resumed at step {step}")
    before, before_ck = heldout_scores(vq, data)
    log(f"vq decoder fine-tune: start PSNR shapes {before['shapes']:.2f} emoji {before['emoji']:.2f} dB, checker {before_ck}")
    shapes_u8, emoji_u8 = vq_train_images(data)
    f_shapes, f_emoji = _fhat_of(vq, shapes_u8), _fhat_of(vq, emoji_u8)  # frozen encoder: compute once
    gen = torch.Generator().manual_seed(seed + 17 + step)
    B = ft["batch"]
    n_emoji = int(round(B * cfg_vq["emoji_fraction"]))
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
        si = torch.randint(0, len(shapes_u8), (B - n_emoji,), generator=gen)
        ei = torch.randint(0, len(emoji_u8), (n_emoji,), generator=gen)
        x = to_unit(np.concatenate([shapes_u8[si.numpy()], emoji_u8[ei.numpy()]]))
        recon = vq.decoder(torch.cat([f_shapes[si], f_emoji[ei]]))
        loss = reconstruction_loss(recon, x, ft["l1_weight"], ft["edge_weight"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 200 == 0:
            log(f"vq decoder step {step} t={time.time() - t0:.0f}s rec={loss.item():.4f}")
        if time.time() - last_ck > 180:
            save_state()
            last_ck = time.time()
    save_state()
    scores, ceiling = heldout_scores(vq, data)
    log(f"vq decoder fine-tune done: {step} steps, held-out PSNR shapes {scores['shapes']:.2f} dB emoji "
        f"{scores['emoji']:.2f} dB; checker on held-out shape reconstructions {ceiling}")
    ck = torch.load(path)
    ck.update(model=vq.state_dict(), psnr=scores, checker=ceiling, decoder_finetune_done=True,
              decoder_finetune_steps=step)
    torch.save(ck, path + ".tmp")
    os.replace(path + ".tmp", path)
    for p in vq.parameters():
        p.requires_grad_(True)
    return vq
