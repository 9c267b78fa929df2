"""Chat quality of an exported model, scored procedurally (tools/eval.py prints and saves it):
  caption:  "what is in this image ?" about held-out images; right when the reply is exactly the caption;
  draw:     "draw <held-out caption>"; the reply must hold an image, scored by the checker;
  edit:     the drawing, then "now make it <colour>": success when the checker finds the new colour and the
            shape, position and background the first prompt asked for (all four right).
"""
import random

from . import chat, checker, shapes
from .chat_runner import ChatRunner
from .palette import COLOR_NAMES, shape_caption


def _reply(cr, messages, seed, smp):
    return cr.reply(messages, seed, smp["cfg"], smp["temperature"], smp["top_k"], smp["top_p"],
                    smp.get("text_temperature", 0.0), max_tokens=24)


def eval_chat(runner, smp, combos, n_edit, jitter_px=shapes.JITTER_PX):
    cr = ChatRunner(runner)
    rng = random.Random(7)
    res = {}
    right, examples = 0, []
    for c in combos:
        img = shapes.render(c, rng, jitter_px)
        msgs = [{"role": "user", "parts": [{"codes": cr.encode_image(img)}, {"text": chat.QUESTIONS[0]}]}]
        text = _reply(cr, msgs, 0, smp)["text"]
        right += text == shape_caption(*c)
        if len(examples) < 3:
            examples.append({"true": shape_caption(*c), "reply": text})
    res["chat_caption_heldout"], res["chat_caption_examples"] = 100.0 * right / len(combos), examples
    drawn, draw_combos, edit_hits, edit_keep, edit_colour, edit_examples = [], [], 0, 0, 0, []
    for i, c in enumerate(combos):
        msgs = [{"role": "user", "parts": [{"text": "draw " + shape_caption(*c)}]}]
        r = _reply(cr, msgs, i, smp)
        if not r["images"]:
            continue
        drawn.append(runner.decode(r["images"][0]))
        draw_combos.append(c)
        if i >= n_edit:
            continue
        size, color, shape, pos, bg = c
        new = rng.choice([x for x in COLOR_NAMES if x not in (color, bg)])
        msgs += [{"role": "assistant", "parts": [{"codes": r["images"][0]}]},
                 {"role": "user", "parts": [{"text": chat.EDIT_TEMPLATE.format(color=new)}]}]
        r2 = _reply(cr, msgs, i, smp)
        if not r2["images"]:
            continue
        a = checker.analyze(runner.decode(r2["images"][0]))
        kept = a["shape"] == shape and a["position"] == pos and a["bg"] == bg
        edit_colour += a["color"] == new
        edit_keep += kept
        edit_hits += kept and a["color"] == new
        if len(edit_examples) < 3:
            edit_examples.append({"first": shape_caption(*c), "edit": new, "seen": a})
    res["chat_draw_with_image"] = 100.0 * len(drawn) / len(combos)
    res["chat_draw_heldout"] = checker.score(drawn, draw_combos) if drawn else None
    n = min(n_edit, len(combos))
    res["chat_edit"] = {"n": n, "success": 100.0 * edit_hits / n, "new_colour": 100.0 * edit_colour / n,
                        "rest_kept": 100.0 * edit_keep / n, "examples": edit_examples}
    return res
