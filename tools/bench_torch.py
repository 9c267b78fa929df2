"""PyTorch reference timing for `npm run bench`: per-image generate() time on this CPU.
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
for i in range(warmup):
    gen(1000 + i)
times = []
for s in seeds:
    t0 = time.perf_counter()
    gen(s)
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"threads": torch.get_num_threads(), "torch": torch.__version__, "imagesMs": times}))
