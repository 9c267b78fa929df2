"""The peer for `npm run bench:var`: the same random-init VAR-d16 + ch-160 VAE (.cache/bench/var-d16/*.pth,
written by the bench) through our PyTorch reference on this CPU, one 256² image (class 207, seed 0, cfg 4,
top-k 900, top-p 0.95), timed as transformer loop and VAE decode. Prints one JSON line.

  /usr/bin/python3 tools/bench_var_torch.py [--dir .cache/bench/var-d16] [--threads N]
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from reference.var import build_var, infer  # noqa: E402
from reference.vae import build_vae  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=".cache/bench/var-d16")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    var = build_var(16, init=False)
    var.load_state_dict(torch.load(os.path.join(a.dir, "var_d16.pth"), map_location="cpu"))
    vae = build_vae(160, init=False)
    vae.load_state_dict(torch.load(os.path.join(a.dir, "vae_ch160v4096z32.pth"), map_location="cpu"))
    var.eval(); vae.eval()
    decode = vae.fhat_to_img
    timing = {}

    def timed_decode(f_hat):
        t = time.perf_counter()
        img = decode(f_hat)
        timing["vae_decode_s"] = time.perf_counter() - t
        return img

    vae.fhat_to_img = timed_decode
    with torch.no_grad():
        t0 = time.perf_counter()
        infer(var, vae, 207, seed=0, cfg=4.0, top_k=900, top_p=0.95)
        total = time.perf_counter() - t0
    print(json.dumps({"threads": a.threads, "image_s": total, "transformer_s": total - timing["vae_decode_s"], **timing}))


if __name__ == "__main__":
    main()
