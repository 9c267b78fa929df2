"""Export a trained run to models/<name>/: config.json, model.safetensors (decoder, f16), vq.safetensors
(tokenizer, f16), tokenizer.json and manifest.json (sha256 + size of every file).

  /usr/bin/python3 tools/export.py [--run-dir runs/nextscale-tiny] [--out models/nextscale-tiny]
"""
import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from nextscale_tools import safetensors_io, shapes  # noqa: E402
from nextscale_tools.vocab import Vocab  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_TOTAL_BYTES = 40 * 1024 * 1024


def _sample_finetune_record(sft):
    if not sft:
        return None
    return {k: sft[k] for k in ("samples", "minutes", "sample_fraction", "emoji_fraction")}


def model_config(cfg, vocab, psnr=None, recon_checker=None):
    lm, vq = cfg["lm"], cfg["vq"]
    return {
        "format": "nextscale-model", "version": 1, "name": cfg["name"],
        # what the model is, in one line, for the pages (optional in the format)
        **({"description": cfg["description"]} if cfg.get("description") else {}),
        "family": "nextflow",
        "architecture": {
            "dim": lm["dim"], "layers": lm["layers"], "heads": lm["heads"], "kv_heads": lm["kv_heads"],
            "head_dim": lm["head_dim"], "ffn": lm["ffn"], "rms_eps": lm["rms_eps"], "qkv_bias": True,
            "activation": "silu_glu", "tie_embeddings": False,
            "rope": {"type": "multiscale_3d", "theta": lm["rope_theta"], "sections": lm["rope_sections"],
                     "convention": "rotate_half", "image_range": lm["rope_image_range"]},
        },
        "vocab": vocab.layout(),
        "image": {"size": 64, "channels": 3, "latent": 8, "scales": vq["scales"], "code_dim": vq["code_dim"],
                  "codebook_size": vq["codebook_size"], "pixel_range": [-1, 1], "input": "residual",
                  "feed_back_finest": True},
        "vq": {"enc_widths": vq["enc_widths"], "latent_ch": vq["latent_ch"], "enc_blocks": vq["enc_blocks"],
               "dec_widths": vq["dec_widths"], "dec_blocks": vq["dec_blocks"], "groupnorm_groups": 8,
               "groupnorm_eps": 1e-5, "heldout_psnr_db": psnr,
               # checker accuracy (%) on held-out shape reconstructions: the ceiling for generated images
               "heldout_recon_checker_pct": recon_checker},
        "sampling": {"text_temperature": 0.0, **cfg["sampling"]},
        # Chat: the longest conversation (RoPE positions) the engine accepts; training rows reach ~300 tokens.
        "max_context": cfg["lm"].get("max_context", 512),
        "max_text_tokens": cfg["lm"]["max_text_words"],
        "files": {"weights": ["model.safetensors", "vq.safetensors"], "tokenizer": "tokenizer.json"},
        "training": {"loss_alpha": lm["loss_alpha"], "prompt_dropout": lm["prompt_dropout"],
                     "self_correct_prob": lm["self_correct_prob"], "self_correct_topk": lm["self_correct_topk"],
                     "self_correct_chains": lm.get("self_correct_chains", 0),
                     "finest_soft_tau": lm.get("finest_soft_tau", 0.0),
                     # how far shapes sit from their grid-cell centres in the training images (eval renders so)
                     "data_jitter_px": shapes.data_jitter(cfg["data"]),
                     # the decoder's fine-tune on the LM's own samples (finetune_decoder_samples.py), if any
                     "decoder_sample_finetune": _sample_finetune_record(vq.get("sample_finetune"))},
    }


def write_manifest(out_dir, name, max_total_bytes=MAX_TOTAL_BYTES):
    """max_total_bytes=None disables the budget (converted VAR checkpoints are hundreds of MB)."""
    files = []
    for fn in sorted(os.listdir(out_dir)):
        if fn == "manifest.json":
            continue
        with open(os.path.join(out_dir, fn), "rb") as f:
            b = f.read()
        files.append({"path": fn, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()})
    total = sum(f["size"] for f in files)
    if max_total_bytes is not None and total > max_total_bytes:
        raise RuntimeError(f"export is {total} bytes, over the {max_total_bytes} byte budget")
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump({"format": "nextscale-manifest", "version": 1, "model": name, "files": files}, f, indent=1)
        f.write("\n")
    return total


def export(run_dir, out_dir):
    with open(os.path.join(run_dir, "config.json")) as f:
        cfg = json.load(f)
    vq_ck = torch.load(os.path.join(run_dir, "vq.pt"))
    lm_ck = torch.load(os.path.join(run_dir, "lm.pt"))
    vocab = Vocab(lm_ck["vocab_words"], cfg["vq"]["codebook_size"])
    os.makedirs(out_dir, exist_ok=True)
    psnr = vq_ck.get("psnr")
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(model_config(cfg, vocab, psnr, vq_ck.get("checker")), f, indent=1)
        f.write("\n")
    lm_t = {f"lm.{k}": v for k, v in lm_ck["model"].items()}
    vq_t = {f"vq.{k}": v for k, v in vq_ck["model"].items()}
    meta = {"format": "nextscale", "model": cfg["name"]}
    safetensors_io.save(os.path.join(out_dir, "model.safetensors"), lm_t, "F16", {**meta, "steps": lm_ck["step"]})
    safetensors_io.save(os.path.join(out_dir, "vq.safetensors"), vq_t, "F16", {**meta, "steps": vq_ck["step"]})
    vocab.save_tokenizer(os.path.join(out_dir, "tokenizer.json"))
    return write_manifest(out_dir, cfg["name"])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run-dir", default=os.path.join(REPO, "runs", "nextscale-tiny"))
    ap.add_argument("--out", default=os.path.join(REPO, "models", "nextscale-tiny"))
    a = ap.parse_args()
    print(f"exported {export(a.run_dir, a.out)} bytes to {a.out}")
