"""Quality of an exported model: held-out shape prompts scored by the procedural checker, greedy captions
of held-out images, chat (captions, drawing on request, colour edits; nextscale_tools/chat_eval.py), five-turn
conversations and captions of a renderer training never uses (nextscale_tools/convo_eval.py), an emoji contact
sheet, and emoji retrieval (is each generated emoji nearest to its own glyph among all of them?).

  /usr/bin/python3 tools/eval.py [--model models/nextscale-tiny] [--n 60] [--docs docs]
Writes docs/nextscale-tiny-eval.json, docs/nextscale-tiny-emoji.png and docs/nextscale-tiny-shapes.png.
"""
import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from nextscale_tools import checker, emoji, shapes  # noqa: E402
from nextscale_tools.chat_eval import eval_chat  # noqa: E402
from nextscale_tools.convo_eval import five_turn, heldout_renderer  # noqa: E402
from nextscale_tools.loader import load_runner  # noqa: E402
from nextscale_tools.palette import shape_caption  # noqa: E402
from nextscale_tools.vq import to_unit  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# showcase prompts: exact captions from the emoji set (Unicode names)
EMOJI_PROMPTS = ["red apple", "dog face", "snowman", "cat face", "sun with face", "rocket", "slice of pizza",
                 "grinning face", "heavy black heart", "banana", "rainbow", "t-rex", "christmas tree", "octopus",
                 "fire", "house building"]
EMOJI_RETRIEVAL_N = 100  # the showcase prompts plus others drawn with a fixed seed


def contact_sheet(images, labels, cols, path):
    cell_w, cell_h = 120, 84
    rows = (len(images) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * cell_w, rows * cell_h), (255, 255, 255))
    d = ImageDraw.Draw(sheet)
    for k, (img, lab) in enumerate(zip(images, labels)):
        x, y = (k % cols) * cell_w, (k // cols) * cell_h
        sheet.paste(Image.fromarray(img), (x + 28, y + 2))
        d.text((x + 2, y + 68), lab[:19], fill=(0, 0, 0))
    sheet.save(path)


def eval_t2i(runner, smp, combos):
    imgs = [runner.generate(shape_caption(*c), seed=i, cfg=smp["cfg"], temperature=smp["temperature"],
                            top_k=smp["top_k"], top_p=smp["top_p"])[2] for i, c in enumerate(combos)]
    return checker.score(imgs, combos), imgs


def heldout_codes(runner, combos, jitter_px=shapes.JITTER_PX):
    """Each combo rendered (fixed jitter seed) and tokenized: per image, its code lists per scale."""
    rng = random.Random(99)
    out = []
    for c in combos:
        with torch.no_grad():
            _, codes, _, _ = runner.vq.quantize(runner.vq.encoder(to_unit(shapes.render(c, rng, jitter_px)[None])))
        out.append([x.flatten().tolist() for x in codes])
    return out


def eval_captions(runner, combos, jitter_px=shapes.JITTER_PX):
    right = 0
    examples = []
    for c, codes in zip(combos, heldout_codes(runner, combos, jitter_px)):
        text = runner.vocab.decode(runner.caption([v for x in codes for v in x]))
        right += text == shape_caption(*c)
        if len(examples) < 5:
            examples.append({"true": shape_caption(*c), "pred": text})
    return 100.0 * right / max(len(combos), 1), examples


def eval_vq_ceiling(runner, combos, jitter_px=shapes.JITTER_PX):
    """Checker scores of the tokenizer's own reconstructions of held-out images: what a perfect decoder
    emitting these codes would score, so the t2i numbers can be read against it."""
    return checker.score([runner.decode(codes) for codes in heldout_codes(runner, combos, jitter_px)], combos)


def eval_emoji_retrieval(runner, smp, showcase_imgs):
    """Emoji are a memorized showcase, so "recognizable" is measured as retrieval: generate an emoji from its caption
    (seed 0) and rank its own glyph among all ~1,400 (emoji.retrieval_ranks; chance top-5 is 0.4 %). The showcase
    prompts reuse their contact-sheet images."""
    glyphs, caps = emoji.build()
    show = [caps.index(p) for p in EMOJI_PROMPTS]
    others = [i for i in random.Random(6).sample(range(len(caps)), EMOJI_RETRIEVAL_N) if i not in show]
    others = others[:EMOJI_RETRIEVAL_N - len(show)]
    gen = list(showcase_imgs) + [runner.generate(caps[i], seed=0, cfg=smp["cfg"], temperature=smp["temperature"],
                                                 top_k=smp["top_k"], top_p=smp["top_p"])[2] for i in others]
    ranks = emoji.retrieval_ranks(gen, glyphs, show + others)

    def pct(r, k):
        return 100.0 * float((r < k).mean())
    return {"n": len(ranks), "top1": pct(ranks, 1), "top5": pct(ranks, 5), "median_rank": float(np.median(ranks)),
            "showcase_top1": pct(ranks[:len(show)], 1), "showcase_top5": pct(ranks[:len(show)], 5),
            "showcase_ranks": {p: int(r) for p, r in zip(EMOJI_PROMPTS, ranks[:len(show)])}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(REPO, "models", "nextscale-tiny"))
    ap.add_argument("--n", type=int, default=60, help="held-out prompts per split")
    ap.add_argument("--n-chat", type=int, default=30, help="held-out images/prompts for the chat scores")
    ap.add_argument("--n-convo", type=int, default=24, help="five-turn conversations")
    ap.add_argument("--docs", default=os.path.join(REPO, "docs"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    runner, mc = load_runner(a.model)
    smp = mc["sampling"]
    _, heldout, pairs = shapes.split_combos()
    pick = random.Random(5)
    ho = pick.sample(heldout, min(a.n, len(heldout)))
    pr = pick.sample(pairs, min(a.n // 2, len(pairs)))
    # held-out images are rendered with the jitter the model's training data had (config.json records it)
    jitter = mc.get("training", {}).get("data_jitter_px", shapes.JITTER_PX)
    res = {"sampling": smp, "n_heldout": len(ho), "n_pairs": len(pr), "data_jitter_px": jitter}
    res["vq_recon_heldout"] = eval_vq_ceiling(runner, ho, jitter)
    res["t2i_heldout"], ho_imgs = eval_t2i(runner, smp, ho)
    res["t2i_heldout_pairs"], _ = eval_t2i(runner, smp, pr)
    res["caption_heldout"], res["caption_examples"] = eval_captions(runner, ho, jitter)
    res["caption_heldout_pairs"], _ = eval_captions(runner, pr, jitter)
    if jitter != shapes.JITTER_PX:  # robustness: captions of images placed off the grid centres, as before
        res[f"caption_heldout_jitter{shapes.JITTER_PX}"], _ = eval_captions(runner, ho)
    res.update(eval_chat(runner, smp, ho[: a.n_chat], a.n_chat, jitter))
    res["five_turn"] = five_turn(runner, smp, list(zip(ho[: a.n_convo], ho[::-1][: a.n_convo])), mc["max_context"])
    res["caption_heldout_renderer"] = heldout_renderer(runner, smp, ho)
    emoji_imgs = [runner.generate(p, seed=0, cfg=smp["cfg"], temperature=smp["temperature"], top_k=smp["top_k"],
                                  top_p=smp["top_p"])[2] for p in EMOJI_PROMPTS]
    res["emoji_retrieval"] = eval_emoji_retrieval(runner, smp, emoji_imgs)
    os.makedirs(a.docs, exist_ok=True)
    contact_sheet(emoji_imgs, EMOJI_PROMPTS, 8, os.path.join(a.docs, "nextscale-tiny-emoji.png"))
    contact_sheet(ho_imgs[:16], [" ".join(shape_caption(*c).split()[1:4]) for c in ho[:16]], 8,
                  os.path.join(a.docs, "nextscale-tiny-shapes.png"))
    res["seconds"] = round(time.time() - t0)
    with open(os.path.join(a.docs, "nextscale-tiny-eval.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
