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


CHAT_LOGITS = 4


def chat_goldens(runner, smp, caption_codes, out_dir):
    """Chat replies (tools/nextscale_tools/chat_runner.py): a question about caption_input.png, a drawing
    request, and the colour edit that follows it. Each file holds the messages (images as codes), the options
    and the expected reply: drawn token ids, reply images' codes, and the first logits of every step."""
    from nextscale_tools.chat_runner import ChatRunner
    cr = ChatRunner(runner)
    opts = {"seed": 0, "cfg": smp["cfg"], "top_k": smp["top_k"], "top_p": smp["top_p"],
            "temperature": smp["temperature"], "text_temperature": smp.get("text_temperature", 0.0),
            "max_tokens": 24}
    draw = [{"role": "user", "parts": [{"text": "draw a small red circle at the top left on a white background"}]}]
    cases = [("chat_caption", [{"role": "user", "parts": [{"codes": caption_codes}, {"text": "what is in this image ?"}]}]),
             ("chat_draw", draw)]
    out = []
    for name, messages in cases + [("chat_edit", None)]:
        if messages is None:  # the edit turn continues the drawing conversation with its reply
            messages = draw + [{"role": "assistant", "parts": [{"codes": c} for c in prev["images"]]},
                               {"role": "user", "parts": [{"text": "now make it blue"}]}]
        r = cr.reply(messages, opts["seed"], opts["cfg"], opts["temperature"], opts["top_k"], opts["top_p"],
                     opts["text_temperature"], opts["max_tokens"], keep_logits=CHAT_LOGITS)
        prev = r
        _dump(os.path.join(out_dir, name + ".json"), {
            "messages": messages, "options": opts, "tokens": r["tokens"], "text": r["text"],
            "images": r["images"], "text_logits": r["text_logits"], "text_logits_max_abs": r["text_logits_max_abs"], "image_logits": r["image_logits"]})
        for k, codes in enumerate(r["images"]):
            Image.fromarray(runner.decode(codes)).save(os.path.join(out_dir, f"{name}_image{k}.png"))
        out.append({"name": name, "kind": "chat"})
    return out


CONVERSATION = ["draw a small red circle at the top left on a white background", "what is in this image ?",
                "now make it blue", "what do you see ?", "draw a large green square in the center on a black background"]


def conversation_golden(runner, mc, smp, out_dir):
    """A five-turn conversation as `nextscale chat` runs it: each user message is added to the conversation
    so far (the reference's own replies included), the context policy (context_policy.py) leaves out old turns,
    and reply t draws with seed 0 + t. Per turn: the expected drawn tokens, images, text and what was dropped."""
    from nextscale_tools.chat_runner import ChatRunner
    from nextscale_tools.context_policy import fit_conversation
    from nextscale_tools.seq import chat_layout
    cr = ChatRunner(runner)
    S = len(runner.scales)
    image_tokens = 2 + sum(h * h for h in runner.scales[1:]) + (runner.scales[-1] ** 2 if runner.closing else 0)

    def count(messages):
        parts, _ = cr._row(messages, [], False)
        return len(chat_layout(runner.vocab, parts, runner.scales, runner.range_c, runner.closing)[0])

    opts = {"seed": 0, "cfg": smp["cfg"], "top_k": smp["top_k"], "top_p": smp["top_p"], "temperature": smp["temperature"],
            "text_temperature": smp.get("text_temperature", 0.0), "max_tokens": 24}
    messages, turns = [], []
    for t, text in enumerate(CONVERSATION):
        messages.append({"role": "user", "parts": [{"text": text}]})
        kept, dropped = fit_conversation(messages, mc["max_context"], image_tokens, count)
        r = cr.reply(kept, opts["seed"] + t, opts["cfg"], opts["temperature"], opts["top_k"], opts["top_p"],
                     opts["text_temperature"], opts["max_tokens"])
        parts = [{"text": runner.vocab.decode(arg)} if kind == "tokens" else {"codes": arg} for kind, arg in r["parts"]]
        messages.append({"role": "assistant", "parts": parts})
        turns.append({"user": text, "seed": opts["seed"] + t, "tokens": r["tokens"], "text": r["text"], "images": r["images"],
                      "dropped": dropped, "prompt_tokens": count(kept)})
        assert all(len(c) == S for c in r["images"])
    _dump(os.path.join(out_dir, "conversation.json"), {"options": opts, "turns": turns})
    return [{"name": "conversation", "kind": "conversation"}]


def make_goldens(model_dir, out_dir, prompts=None, seeds=SEEDS):
    torch.set_num_threads(1)
    runner, mc = load_runner(model_dir)
    smp = mc["sampling"]
    _, heldout, _ = shapes.split_combos()
    from nextscale_tools.palette import shape_caption
    prompts = prompts or [(n, p or shape_caption(*heldout[0])) for n, p in PROMPTS]
    os.makedirs(out_dir, exist_ok=True)
    for fn in os.listdir(out_dir):  # case seeds can move (see Runner.unstable_draws): no stale cases left behind
        if fn.endswith((".json", ".png")):
            os.remove(os.path.join(out_dir, fn))
    index = {"model": mc["name"], "cases": []}
    with open(os.path.join(model_dir, "manifest.json"), "rb") as f:
        index["model_manifest_sha256"] = hashlib.sha256(f.read()).hexdigest()
    for name, prompt in prompts:
        taken = set()
        for seed in seeds:
            while True:  # the first seed from here on whose every draw is clear of a sampling boundary
                codes, logits, img = runner.generate(prompt, seed, smp["cfg"], smp["temperature"], smp["top_k"],
                                                     smp["top_p"], keep_logits=LOGIT_TOKENS, check_stability=True)
                if runner.unstable_draws == 0 and seed not in taken:
                    taken.add(seed)
                    break
                print(f"{name} seed {seed}: {runner.unstable_draws} draw(s) on a sampling boundary or seed taken; "
                      f"trying seed {seed + 1}")
                seed += 1
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
    index["cases"] += chat_goldens(runner, smp, codes, out_dir)
    index["cases"] += conversation_golden(runner, mc, smp, out_dir)
    _dump(os.path.join(out_dir, "index.json"), index)
    return index


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(REPO, "models", "nextscale-tiny"))
    ap.add_argument("--out", default=os.path.join(REPO, "e2e", "goldens", "nextscale-tiny"))
    a = ap.parse_args()
    idx = make_goldens(a.model, a.out)
    print(f"wrote {len(idx['cases'])} golden cases to {a.out}")
