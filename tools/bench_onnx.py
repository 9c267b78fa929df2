"""ONNX export for `npm run bench`: the nextscale-tiny transformer as a full-sequence forward (recompute,
no KV cache), plus the exact per-scale inputs of one generate() call so the browser runs the same sequence.
  /usr/bin/python3 tools/bench_onnx.py MODEL_DIR PROMPT SEED OUT_DIR  -> OUT_DIR/transformer_s<i>.onnx, inputs.json"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from nextscale_tools.loader import load_runner  # noqa: E402
from nextscale_tools.seq import collate, gather_block_feats  # noqa: E402

model_dir, prompt, seed, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
os.makedirs(out, exist_ok=True)
runner, _ = load_runner(model_dir)
with open(os.path.join(model_dir, "config.json")) as f:
    smp = json.load(f)["sampling"]
rec = []


def logits(layouts, in_codes_BN):
    ids, scale, pos, group, slot = collate(layouts, runner.vocab.pad)
    feats = gather_block_feats(runner.M, runner.codebook, in_codes_BN, slot)
    args = (ids, feats.float(), scale, pos, group)
    rec.append(args)
    return runner.model(*args)


runner._logits_BLV = logits
runner.generate(prompt, seed, smp["cfg"], smp["temperature"], smp["top_k"], smp["top_p"])
names = ["ids", "feats", "scale", "pos", "group"]
runner.model.eval()
# One static-shape graph per scale: the traced graph bakes the sequence length into reshapes (dynamic axes break).
for i, args in enumerate(rec):
    torch.onnx.export(runner.model, args, os.path.join(out, f"transformer_s{i}.onnx"), input_names=names,
                      output_names=["logits"], opset_version=17)
steps = [{n: {"dims": list(a.shape), "dtype": "int64" if a.dtype == torch.long else "float32", "data": a.flatten().tolist()}
          for n, a in zip(names, args)} for args in rec]
with open(os.path.join(out, "inputs.json"), "w") as f:
    json.dump(steps, f)
print(json.dumps({"steps": len(steps), "lengths": [s["ids"]["dims"][1] for s in steps]}))
