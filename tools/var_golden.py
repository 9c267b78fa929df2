"""Golden outputs for the TS VAR runtime: e2e/goldens/var-tiny/{model/, <case>.json, <case>.png, index.json}.

Random-init VAR depth 2 (scales 1,2,3,4) + VQVAE ch=32, seed 0 -> the real converter (f16) -> the converted
weights loaded back (f16 upcast to f32) into our reference -> greedy inference. Reruns are byte-identical.

  /usr/bin/python3 tools/var_golden.py [--out e2e/goldens/var-tiny]
  /usr/bin/python3 tools/var_golden.py --pth DIR   # only the checkpoints, as torch.save writes them: DIR/var_d2.pth and
                                                  # DIR/vae_ch160v4096z32.pth (the official VAE file name; ch 32 inside)
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

import convert_var  # noqa: E402
from nextscale_tools import safetensors_io  # noqa: E402
from reference.vae import build_vae  # noqa: E402
from reference.var import build_var, infer  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATCH_NUMS = (1, 2, 3, 4)
CASES = [("class207_cfg4", 207, 4.0), ("class1_cfg1p5", 1, 1.5)]
LOGIT_ROWS = 4  # per scale; full 4096-wide rows


def load_converted(model_dir, var, vae):
    """Loads the shards into the reference modules; only the tensors the converter drops may be absent."""
    with open(os.path.join(model_dir, "config.json")) as f:
        files = json.load(f)["files"]["weights"]
    tensors = {}
    for fn in files:
        tensors.update(safetensors_io.load(os.path.join(model_dir, fn))[0])
    for prefix, module in (("var.", var), ("vae.", vae)):
        sd = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix) and not k.endswith("qkv_bias")}
        missing, unexpected = module.load_state_dict(sd, strict=False)
        allowed = ("encoder.", "quant_conv.", "quantize.ema_vocab_hit_SV", "attn_bias_for_masking", "lvl_1L",
                   "zero_k_bias")
        bad = [k for k in missing if not any(a in k for a in allowed)] + list(unexpected)
        if bad:
            raise RuntimeError(f"{prefix} load mismatch: {bad[:10]}")


def f32_list(t):
    """Shortest decimal that round-trips each float32 (halves the JSON size vs. full double repr)."""
    return [float(repr(np.float32(v))) for v in t.flatten().tolist()]


def case_record(label, cfg, out):
    f_hat = out["f_hat"].double()
    return {
        "class": label, "cfg": cfg, "top_k": 1, "top_p": 0, "seed": 0,
        "scales": [c.tolist() for c in out["codes"]],
        "logits": [[f32_list(row) for row in l[:LOGIT_ROWS]] for l in out["logits"]],
        "fhat_sum": float(f_hat.sum()),
        "fhat_first": f32_list(out["f_hat"].flatten()[:64]),
        "image_mean": float(out["image"].double().mean()),
        # extra: smallest top1-top2 gap of the CFG logits per scale (how much error greedy can absorb)
        "greedy_margin": [f32_list((l.topk(2).values[:, 0] - l.topk(2).values[:, 1]).min())[0]
                          for l in out["logits"]],
    }


def write_png(path, image):
    pixels = (image[0].clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    Image.fromarray(np.ascontiguousarray(pixels), "RGB").save(path, optimize=False)


def write_pth(var_pth, vae_pth):
    """The golden model's checkpoints as published files would be: plain state dicts through torch.save."""
    torch.save(build_var(2, patch_nums=PATCH_NUMS, seed=0).state_dict(), var_pth)
    torch.save(build_vae(ch=32, seed=0).state_dict(), vae_pth)


def make(out_dir):
    t0 = time.time()
    model_dir = os.path.join(out_dir, "model")
    shutil.rmtree(model_dir, ignore_errors=True)
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        var_pth, vae_pth = os.path.join(tmp, "var_d2.pth"), os.path.join(tmp, "vae_ch32v4096z32.pth")
        write_pth(var_pth, vae_pth)
        rc = convert_var.main(["--var", var_pth, "--vae", vae_pth, "--out", model_dir, "--dtype", "f16",
                               "--patch-nums", ",".join(map(str, PATCH_NUMS)), "--name", "var-tiny"])
        if rc:
            raise RuntimeError(f"convert_var failed with exit code {rc}")
    t1 = time.time()
    var, vae = build_var(2, patch_nums=PATCH_NUMS, init=False), build_vae(ch=32, init=False)
    load_converted(model_dir, var, vae)
    index = {"model": "model", "cases": []}
    for name, label, cfg in CASES:
        out = infer(var, vae, label, seed=0, cfg=cfg, top_k=1, top_p=0.0, patch_nums=PATCH_NUMS)
        with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
            json.dump(case_record(label, cfg, out), f, separators=(",", ":"))
            f.write("\n")
        write_png(os.path.join(out_dir, f"{name}.png"), out["image"])
        index["cases"].append({"name": name, "class": label, "cfg": cfg, "json": f"{name}.json",
                               "png": f"{name}.png"})
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(f"convert {t1 - t0:.1f}s, inference {time.time() - t1:.1f}s -> {out_dir}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "e2e", "goldens", "var-tiny"))
    ap.add_argument("--pth", metavar="DIR", help="write only the .pth checkpoints into DIR")
    torch.set_num_threads(1)
    a = ap.parse_args()
    if a.pth:
        os.makedirs(a.pth, exist_ok=True)
        write_pth(os.path.join(a.pth, "var_d2.pth"), os.path.join(a.pth, "vae_ch160v4096z32.pth"))
    else:
        make(a.out)
