"""Golden outputs for the TS Infinity runtime: e2e/goldens/infinity-tiny/.

Random-init Infinity (depth 2 in two block chunks, C 64, 4 heads, d 32, text width 256) and a BSQ VAE
decoder with base channels 32, written as the official files are (torch.save state dicts in the official
key layout; the VAE under {"vae": …}, its tensors in f16 to keep the repository small), then read back
and run through tools/reference/infinity.py (checked against the official code by
tools/infinity_official_check.py). Reruns are byte-identical.

  /usr/bin/python3 tools/infinity_golden.py [--out e2e/goldens/infinity-tiny]

Files: infinity_d2.pth, vae_d32_ch32.pth, features.safetensors (the prompt's text features [7, 256] f32),
index.json (cases), <case>.safetensors (per scale s: bits_<s> [h·w, d] u8, ties_<s> [h·w, d] u8 (1 where the
guided logits of a bit are within 1e-3·max|logit|: greedy may pick either), logits_cond_<s> /
logits_uncond_<s> [rows, 2d] raw head outputs, next_<s> [h'·w', d] the next scale's input tokens;
fhat [d, H, W]; image [3, 8H, 8W]·2 in [-1, 1]), <case>.png.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from nextscale_tools import safetensors_io  # noqa: E402
from reference import infinity as ref  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCH = dict(depth=2, c=64, heads=4, d=32, ct5=256, chunks=2)
VAE_CH = 32
TEXT_LEN = 7
LOGIT_ROWS = 16
CASES = [
    # name, h/w, pixel class, cfg, tau
    ("greedy_cfg3", 1.0, "0.06M", 3.0, 0.5),
    ("greedy_cfg1", 1.0, "0.06M", 1.0, 1.0),
    ("greedy_h1w2_cfg4", 0.5, "0.06M", 4.0, 0.5),
]


def build():
    model = ref.randomize_(ref.Infinity(**ARCH), 2).eval()
    vae = ref.randomize_(ref.BsqVae(VAE_CH, ARCH["d"]), 1).eval()
    with torch.no_grad():  # the VAE ships in f16: round once so the reference runs on the stored values
        for p in vae.parameters():
            p.copy_(p.half().float())
    return model, vae


def write_png(path, image):
    pixels = ((image + 1) / 2).clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    Image.fromarray(np.ascontiguousarray(pixels), "RGB").save(path, optimize=False)


def make(out):
    os.makedirs(out, exist_ok=True)
    model, vae = build()
    torch.save(model.state_dict(), os.path.join(out, "infinity_d2.pth"))
    vae_sd = {k: (v.half() if v.is_floating_point() else v) for k, v in vae.state_dict().items()}
    torch.save({"vae": vae_sd}, os.path.join(out, "vae_d32_ch32.pth"))
    # Read back what was written: the goldens come from the files' values.
    model = ref.Infinity(**ARCH).eval()
    model.load_state_dict(torch.load(os.path.join(out, "infinity_d2.pth")))
    vae = ref.BsqVae(VAE_CH, ARCH["d"]).eval()
    vae.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in torch.load(os.path.join(out, "vae_d32_ch32.pth"))["vae"].items()})
    feats = torch.randn(TEXT_LEN, ARCH["ct5"], generator=torch.Generator().manual_seed(3))
    safetensors_io.save_arrays(os.path.join(out, "features.safetensors"), [("features", feats.numpy().astype(np.float32))])
    index = {"model": "infinity_d2.pth", "vae": "vae_d32_ch32.pth", "features": "features.safetensors", "cases": []}
    for name, ratio, pn, cfg, tau in CASES:
        scales, full_last = ref.schedule(ratio, pn)
        o = ref.infer(model, feats, scales, full_last, cfg=cfg, tau=tau, top_k=1, capture_rows=LOGIT_ROWS)
        with torch.no_grad():
            image = vae.decoder(o["fhat"][None])[0]
        arrays = []
        for s, (h, w) in enumerate(scales):
            arrays.append((f"bits_{s}", o["bits"][s].numpy().astype(np.uint8)))
            arrays.append((f"ties_{s}", o["ties"][s].numpy().astype(np.uint8)))
            arrays.append((f"logits_cond_{s}", o["logits_cond"][s].numpy().astype(np.float32)))
            if o["logits_uncond"][s] is not None:
                arrays.append((f"logits_uncond_{s}", o["logits_uncond"][s].numpy().astype(np.float32)))
            if s < len(scales) - 1:
                arrays.append((f"next_{s}", o["next_inputs"][s].numpy().astype(np.float32)))
        arrays.append(("fhat", o["fhat"].numpy().astype(np.float32)))
        arrays.append(("image", image.numpy().astype(np.float32)))
        arrays.sort(key=lambda a: (-a[1].dtype.itemsize, a[0]))  # f32 first: every tensor starts aligned
        safetensors_io.save_arrays(os.path.join(out, f"{name}.safetensors"), arrays)
        write_png(os.path.join(out, f"{name}.png"), image)
        index["cases"].append({
            "name": name, "h_div_w": ratio, "pn": pn, "scales": [list(x) for x in scales], "cfg": cfg, "tau": tau,
            "top_k": 1, "top_p": 0, "logit_rows": LOGIT_ROWS, "tensors": f"{name}.safetensors", "png": f"{name}.png",
        })
        print(name, scales, "ones:", sum(int(b.sum()) for b in o["bits"]), "of", sum(b.numel() for b in o["bits"]), "bits; near ties:",
              sum(int(t.sum()) for t in o["ties"]))
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "e2e", "goldens", "infinity-tiny"))
    torch.set_num_threads(1)
    make(ap.parse_args().out)
