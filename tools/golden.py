"""Golden outputs for the browser to reproduce, from the EXPORTED f16 weights upcast to f32, single thread.

  /usr/bin/python3 tools/golden.py [--model models/nextscale-tiny] [--out e2e/goldens/nextscale-tiny]

Per text-to-image case: <case>.json {prompt, token_ids, seed, sampling, scales: [[codes row-major] per scale],
logits: [{cond: [[512 floats] x min(4, h*w)], uncond: [...]} per scale]} and <case>.png (the decoded image).
caption.json: codes of one held-out shapes image (encoded by the exported VQ), greedy caption token ids.
Rerunning gives byte-identical files.
"""
import argparse
import hashlib
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from nextscale_tools import shapes  # noqa: E402
from nextscale_tools.loader import load_runner  # noqa: E402
from nextscale_tools.vq import to_unit  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPTS = [
    ("heldout_shape", None),  # filled with the first held-out shapes combo
    ("train_shape", "a large red circle in the center on a blue background"),
    ("emoji", "red apple"),
]
SEEDS = [0, 7]
LOGIT_TOKENS = 4


def _dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def make_goldens(model_dir, out_dir, prompts=None, seeds=SEEDS):
    torch.set_num_threads(1)
    runner, mc = load_runner(model_dir)
    smp = mc["sampling"]
    _, heldout, _ = shapes.split_combos()
    from nextscale_tools.palette import shape_caption
    prompts = prompts or [(n, p or shape_caption(*heldout[0])) for n, p in PROMPTS]
    os.makedirs(out_dir, exist_ok=True)
    index = {"model": mc["name"], "cases": []}
    with open(os.path.join(model_dir, "manifest.json"), "rb") as f:
        index["model_manifest_sha256"] = hashlib.sha256(f.read()).hexdigest()
    for name, prompt in prompts:
        for seed in seeds:
            codes, logits, img = runner.generate(prompt, seed, smp["cfg"], smp["temperature"], smp["top_k"],
                                                 smp["top_p"], keep_logits=LOGIT_TOKENS)
            case = f"{name}_seed{seed}"
            _dump(os.path.join(out_dir, case + ".json"), {
                "prompt": prompt, "token_ids": runner.vocab.encode(prompt), "seed": seed, "image_index": 0,
                "sampling": smp, "scales": codes, "logits": logits})
            Image.fromarray(img).save(os.path.join(out_dir, case + ".png"))
            index["cases"].append({"name": case, "kind": "t2i", "prompt": prompt, "seed": seed})
    # captioning: one held-out image, rendered deterministically, encoded with the exported VQ
    img = shapes.render(heldout[1], __import__("random").Random(0))
    with torch.no_grad():
        _, c, _, _ = runner.vq.quantize(runner.vq.encoder(to_unit(img[None])))
    codes = [x.flatten().tolist() for x in c]
    flat = [v for sc in codes for v in sc]
    ids = runner.caption(flat)
    Image.fromarray(img).save(os.path.join(out_dir, "caption_input.png"))
    _dump(os.path.join(out_dir, "caption.json"), {
        "true_caption": shape_caption(*heldout[1]), "scales": codes, "decoding": "greedy",
        "candidates": "text range + <eos>", "token_ids": ids, "text": runner.vocab.decode(ids)})
    index["cases"].append({"name": "caption", "kind": "caption"})
    _dump(os.path.join(out_dir, "index.json"), index)
    return index


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(REPO, "models", "nextscale-tiny"))
    ap.add_argument("--out", default=os.path.join(REPO, "e2e", "goldens", "nextscale-tiny"))
    a = ap.parse_args()
    idx = make_goldens(a.model, a.out)
    print(f"wrote {len(idx['cases'])} golden cases to {a.out}")
