"""Train nextscale-tiny: stage 1 VQ tokenizer, stage 2 tokenize the dataset, stage 3 the unified decoder.

  /usr/bin/python3 tools/train.py                      # full recipe (tools/configs/tiny.json), resumes from runs/
  /usr/bin/python3 tools/train.py --quick              # ~1 minute smoke run in a temp dir (CI)
  /usr/bin/python3 tools/train.py --stage vq           # only the tokenizer stage (and its decoder fine-tune)
  /usr/bin/python3 tools/train.py --stage decoder --vq-from M --lm-from M --workers 2
                                                       # only the decoder fine-tune on the LM's samples
Every stage resumes from its latest checkpoint in the run dir, so the recipe can continue across sessions.
"""
import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # must be set before torch loads OpenBLAS
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from nextscale_tools import config as cfgmod, shapes  # noqa: E402
from nextscale_tools.dataset import load_or_build  # noqa: E402
from nextscale_tools.finetune_vq_decoder import finetune_vq_decoder  # noqa: E402
from nextscale_tools.train_vq import train_vq  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def quick_overrides(cfg):
    """Tiny, fast settings for the smoke run; same code path as the full recipe."""
    cfg["vq"].update(minutes=0.25, max_steps=15, batch=8, dead_code_every=5)
    if cfg["vq"].get("decoder_finetune"):
        cfg["vq"]["decoder_finetune"].update(minutes=0.1, batch=8)
    if cfg["vq"].get("sample_finetune"):
        cfg["vq"]["sample_finetune"].update(samples=6, minutes=0.05, batch=8)
    cfg["lm"].update(minutes=0.5, max_steps=12, batch=4, layers=1, ffn=128, warmup=2, checkpoint_minutes=0.1)
    return cfg


def seed_vq_checkpoint(model_dir, run_dir, log):
    """Writes run_dir/vq.pt as a finished VQ stage from an exported vq.safetensors (f16 upcast to f32)."""
    from nextscale_tools import safetensors_io
    path = os.path.join(run_dir, "vq.pt")
    if os.path.exists(path):
        return
    tensors, meta = safetensors_io.load(os.path.join(model_dir, "vq.safetensors"))
    with open(os.path.join(model_dir, "config.json")) as f:
        vq_meta = json.load(f)["vq"]
    psnr, recon_checker = vq_meta.get("heldout_psnr_db"), vq_meta.get("heldout_recon_checker_pct")
    state = {k[len("vq."):]: v.float() for k, v in tensors.items()}
    # an exported tokenizer is final: its decoder fine-tunes (if the recipe has them) are done too
    torch.save({"model": state, "opt": None, "step": int(meta.get("steps", 0)), "elapsed": 0.0, "done": True, "psnr": psnr,
                "checker": recon_checker, "decoder_finetune_done": True, "sample_finetune_done": True}, path)
    log(f"vq: seeded from {model_dir}")


def lm_init_from_export(model_dir, run_dir, log, finished=False):
    """Writes run_dir/lm_init.pt (an --lm-init checkpoint) from an exported model.safetensors and tokenizer.json;
    finished: writes run_dir/lm.pt instead, the trained decoder LM itself (its step count kept, no optimizer)."""
    from nextscale_tools import safetensors_io
    tensors, meta = safetensors_io.load(os.path.join(model_dir, "model.safetensors"))
    with open(os.path.join(model_dir, "tokenizer.json")) as f:
        tok = json.load(f)
    ids = tok["model"]["vocab"]
    words = sorted(ids, key=ids.get)[len(tok["added_tokens"]):]
    path = os.path.join(run_dir, "lm.pt" if finished else "lm_init.pt")
    ck = {"model": {k[len("lm."):]: v.float() for k, v in tensors.items()}, "step": 0, "vocab_words": words}
    if finished:
        ck.update(step=int(meta.get("steps", 0)), opt=None, elapsed=0.0)
    torch.save(ck, path)
    log(f"lm: {'the decoder LM' if finished else 'init weights'} from {model_dir}")
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=os.path.join(REPO, "tools", "configs", "tiny.json"))
    ap.add_argument("--run-dir", default=None, help="default: runs/<name> (or a temp dir with --quick)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--stage", choices=["all", "vq", "tokenize", "lm", "decoder"], default="all",
                    help="decoder: only the tokenizer decoder's fine-tune on the LM's samples (vq.sample_finetune)")
    ap.add_argument("--vq-from", default=None, metavar="MODEL_DIR",
                    help="start from an exported model's tokenizer (skips VQ training; keeps its image codes)")
    ap.add_argument("--lm-init", default=None, metavar="LM_PT",
                    help="start the decoder from this checkpoint's weights (fresh schedule and optimizer)")
    ap.add_argument("--lm-from", default=None, metavar="MODEL_DIR",
                    help="start the decoder from an exported model's weights (like --lm-init)")
    ap.add_argument("--workers", type=int, default=1, help="processes drawing the LM's samples for --stage decoder")
    ap.add_argument("--threads", type=int, default=1, help="1 is far faster than 2 on a contended box (OpenMP barriers)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = cfgmod.load(args.config)
    if args.quick:
        cfg = quick_overrides(cfg)
    run_dir = args.run_dir or (tempfile.mkdtemp(prefix="nextscale-quick-") if args.quick
                               else os.path.join(REPO, "runs", cfg["name"]))
    os.makedirs(run_dir, exist_ok=True)
    log_path = os.path.join(run_dir, "train.log")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        with open(log_path, "a") as f:
            f.write(line + "\n")

    log(f"run dir {run_dir}")
    data_dir = os.path.join(run_dir, "data") if args.quick else os.path.join(REPO, "data")
    data = load_or_build(data_dir, cfg["seed"], cfg["data"]["shape_variants"], quick=args.quick,
                         jitter_px=shapes.data_jitter(cfg["data"]))
    log("data: " + ", ".join(f"{k}={len(v['captions'])}" for k, v in data.items()))
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    if args.vq_from:
        seed_vq_checkpoint(args.vq_from, run_dir, log)
    vq = train_vq(cfg["vq"], data, run_dir, cfg["seed"], log)
    vq = finetune_vq_decoder(cfg["vq"], vq, data, run_dir, cfg["seed"], log)
    if args.stage == "vq":
        return run_dir
    from nextscale_tools.finetune_decoder_samples import finetune_decoder_on_samples
    from nextscale_tools.tokenize_data import load_or_tokenize
    from nextscale_tools.train_lm import load_lm, train_lm
    if args.stage == "decoder":
        if args.lm_from and not os.path.exists(os.path.join(run_dir, "lm.pt")):
            lm_init_from_export(args.lm_from, run_dir, log, finished=True)
        model, vocab = load_lm(cfg, data, run_dir)
    else:
        tokens = load_or_tokenize(vq, data, cfg, run_dir, log)
        if args.stage == "tokenize":
            return run_dir
        init = lm_init_from_export(args.lm_from, run_dir, log) if args.lm_from else args.lm_init
        model, vocab = train_lm(cfg, vq, tokens, run_dir, log, data=data, init_from=init)
    finetune_decoder_on_samples(cfg, vq, model, vocab, data, run_dir, log, args.workers)
    return run_dir


if __name__ == "__main__":
    main()
