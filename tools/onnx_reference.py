"""Reference for the ONNX decoder graph (src/backends/wasm/nextflow-graph.ts): one whole sequence of the default
model through the PyTorch model (exported f16 weights upcast to f32), as JSON: its inputs (token ids, block
features, scale ids, 3D positions, mask groups) and the logits of a spread of rows; and one f-hat (from the
first image's codes) with the VQ decoder's output for it (src/backends/wasm/vq-decoder-graph.ts).

  /usr/bin/python3 tools/onnx_reference.py [--model models/nextscale-tiny] --out FILE
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from nextscale_tools.loader import load_runner  # noqa: E402
from nextscale_tools.seq import chat_layout, collate, gather_block_feats  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(REPO, "models", "nextscale-tiny"))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    runner, _ = load_runner(a.model)
    v, S = runner.vocab, len(runner.scales)
    g = torch.Generator().manual_seed(0)
    codes = torch.randint(0, v.codebook_size, (runner.n_codes,), generator=g)
    # A chat turn with an attached image, a question, and a reply that draws a second image up to its last block.
    parts = [("tokens", [v.user]), ("image", S), ("tokens", v.encode("what is in this image ?") + [v.assistant] + v.encode("here you go")),
             ("image", S - 1)]
    lay, _ = chat_layout(v, parts, runner.scales, runner.range_c, runner.closing)
    ids, scale, pos, group, slot = collate([lay], v.pad)
    in_codes = torch.cat([codes, torch.randint(0, v.codebook_size, (runner.n_codes,), generator=g)])[None]
    feats = gather_block_feats(runner.M, runner.codebook, in_codes, slot)
    with torch.no_grad():
        logits = runner.model(ids, feats, scale, pos, group)[0]
        maps = [c.view(1, h, h) for c, h in zip(torch.split(codes, [h * h for h in runner.scales]), runner.scales)]
        fhat = runner.vq.codes_to_fhat(maps)
        image = runner.vq.decoder(fhat)
    L = ids.shape[1]
    rows = sorted(set([0, 1, L // 3, L // 2, L - 70, L - 2, L - 1] + list(range(5, L, 37))))
    out = {"L": L, "ids": ids[0].tolist(), "scale": scale[0].tolist(), "group": group[0].tolist(),
           "pos": [round(float(x), 6) for x in pos[0].flatten().tolist()],
           "feats": [float(x) for x in feats[0].flatten().tolist()], "rows": rows,
           "logits": [[float(x) for x in logits[r].tolist()] for r in rows],
           "fhat": [float(x) for x in fhat.flatten().tolist()], "fhat_shape": list(fhat.shape),
           "image": [float(x) for x in image.flatten().tolist()]}
    with open(a.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
