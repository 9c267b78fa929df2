"""The PyTorch peer of `npm run bench:infinity`, and the writer of its random-init files.

  /usr/bin/python3 tools/bench_infinity_torch.py --write DIR   # infinity_125M_256x256.pth (12 blocks, C 768, 8 heads,
                                                             # text width 2048, in 4 chunks), infinity_vae_d32reg.pth
                                                             # (base width 128, the official d32 VAE's shape) and
                                                             # features.safetensors ([16, 2048]): random-init, seeded
  /usr/bin/python3 tools/bench_infinity_torch.py --dir DIR [--threads N]
      # one 256² image through tools/reference/infinity.py on this CPU (CFG 3, τ 0.5, top-p 0.97, seed 0):
      # prints one JSON line with the transformer loop and the VAE decode timed apart
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402

from nextscale_tools import safetensors_io  # noqa: E402
from reference import infinity as ref  # noqa: E402

ARCH = dict(depth=12, c=768, heads=8, d=32, ct5=2048, chunks=4)
VAE_CH = 128
TEXT_LEN = 16


def write(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = ref.Infinity(**ARCH)  # PyTorch's default init: the shapes are what the bench needs
    torch.save(model.state_dict(), os.path.join(out, "infinity_125M_256x256.pth"))
    vae = ref.BsqVae(VAE_CH, ARCH["d"])
    torch.save({"vae": vae.state_dict()}, os.path.join(out, "infinity_vae_d32reg.pth"))
    feats = torch.randn(TEXT_LEN, ARCH["ct5"], generator=torch.Generator().manual_seed(1)) * 0.2
    safetensors_io.save_arrays(os.path.join(out, "features.safetensors"), [("features", feats.numpy().astype(np.float32))])
    print(f"params: transformer {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M, VAE decoder {sum(p.numel() for p in vae.parameters()) / 1e6:.1f} M")


def bench(d, threads):
    torch.set_num_threads(threads)
    model = ref.Infinity(**ARCH).eval()
    model.load_state_dict(torch.load(os.path.join(d, "infinity_125M_256x256.pth"), map_location="cpu"))
    vae = ref.BsqVae(VAE_CH, ARCH["d"]).eval()
    vae.load_state_dict(torch.load(os.path.join(d, "infinity_vae_d32reg.pth"), map_location="cpu")["vae"])
    feats = safetensors_io.load(os.path.join(d, "features.safetensors"))[0]["features"]
    scales, full_last = ref.schedule(1.0, "0.06M")
    with torch.no_grad():
        t0 = time.perf_counter()
        o = ref.infer(model, feats, scales, full_last, cfg=3.0, tau=0.5, top_k=0, top_p=0.97, seed=0, capture_rows=0)
        t1 = time.perf_counter()
        vae.decoder(o["fhat"][None])
        t2 = time.perf_counter()
    print(json.dumps({"threads": threads, "image_s": t2 - t0, "transformer_s": t1 - t0, "vae_decode_s": t2 - t1}))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", metavar="DIR")
    ap.add_argument("--dir", default=".cache/bench/infinity-125m")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    write(a.write) if a.write else bench(a.dir, a.threads)
