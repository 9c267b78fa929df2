"""PyTorch reference timing for `npm run bench`: per-image generate() time on this CPU, and the same
with a preview decode after every scale but the last (the work nextscale does with previews on).
  /usr/bin/python3 tools/bench_torch.py MODEL_DIR PROMPT SEEDS(comma) WARMUP  -> JSON on stdout"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from nextscale_tools.loader import load_runner  # noqa: E402

model_dir, prompt, seeds, warmup = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")], int(sys.argv[4])
torch.set_num_threads(os.cpu_count() or 1)
runner, _ = load_runner(model_dir)
with open(os.path.join(model_dir, "config.json")) as f:
    smp = json.load(f)["sampling"]
gen = lambda seed: runner.generate(prompt, seed, smp["cfg"], smp["temperature"], smp["top_k"], smp["top_p"])  # noqa: E731


def gen_with_previews(seed):
    codes, _, img = gen(seed)
    with torch.no_grad():
        for k in range(1, len(codes)):  # the image after scales 0..k-1; the last one is the final decode
            runner.decode(codes[:k])
    return img


def timed(fn):
    for i in range(warmup):
        fn(1000 + i)
    out = []
    for s in seeds:
        t0 = time.perf_counter()
        fn(s)
        out.append((time.perf_counter() - t0) * 1000)
    return out


times = timed(gen)
with_previews = timed(gen_with_previews)
print(json.dumps({"threads": torch.get_num_threads(), "torch": torch.__version__, "imagesMs": times,
                  "imagesWithPreviewsMs": with_previews}))
