"""Stage 1b: sharpen the tokenizer's decoder with its encoder and codebook frozen.

Only codes -> pixels changes, so the image codes (tokens.npz, goldens' codes, and any decoder LM trained on
them) stay valid. The codes of a 12 px square already say "square"; a decoder trained jointly with a
moving encoder learned to hedge with rounded corners, which the checker (and a viewer) reads as a circle.
Config: vq.decoder_finetune = {minutes, lr, batch, edge_weight, l1_weight}. Time-boxed and resumable.
"""
import os

import torch

from .decoder_loop import finetune_and_record
from .train_vq import vq_train_images
from .vq import to_unit


@torch.no_grad()
def fhat_of(vq, imgs_u8, chunk=512):
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
    shapes_u8, emoji_u8 = vq_train_images(data)
    n_emoji = int(round(ft["batch"] * cfg_vq["emoji_fraction"]))
    pools = [(fhat_of(vq, shapes_u8), shapes_u8, ft["batch"] - n_emoji), (fhat_of(vq, emoji_u8), emoji_u8, n_emoji)]
    finetune_and_record(vq, pools, ft, data, run_dir, "decoder_finetune", "vq_decoder.pt", seed + 17, log,
                        "vq decoder fine-tune")
    return vq
