"""Conversation and reading scores of an exported model (tools/eval.py prints and saves them):
  five_turn:        draw <held-out caption> -> "what is in this image ?" -> "now make it <colour>" -> "describe it"
                    -> draw <another held-out caption>, the whole history kept, as the chat page sends it;
  heldout_renderer: "what is in this image ?" about shapes drawn by render_heldout.py (a renderer training never
                    uses) at 64 and 128 px, hard and soft edges; right when colour, shape, position and background
                    are all named right (size reported apart).
Captions are scored on their attributes against what was asked for (the drawing's prompt, the edit); drawings by
the procedural checker.
"""
import numpy as np

from . import chat, checker
from .chat_runner import ChatRunner
from .palette import COLOR_NAMES, parse_caption, shape_caption
from .render_heldout import render_heldout
from .seq import chat_layout

ATTRS = ("color", "shape", "position", "bg")


def _reply(cr, messages, seed, smp):
    return cr.reply(messages, seed, smp["cfg"], smp["temperature"], smp["top_k"], smp["top_p"],
                    smp.get("text_temperature", 0.0), max_tokens=24)


def _assistant(cr, r):
    """The reply as the history holds it: its words and images, in order."""
    parts = [{"text": cr.v.decode(arg)} if kind == "tokens" else {"codes": arg} for kind, arg in r["parts"]]
    return {"role": "assistant", "parts": parts}


def _caption_hits(text, combo):
    """Which of colour, shape, position, background (and size) a caption names right."""
    got = parse_caption(text)
    if got is None:
        return {k: False for k in ATTRS + ("size",)}
    g = dict(zip(("size", "color", "shape", "position", "bg"), got))
    want = dict(zip(("size", "color", "shape", "position", "bg"), combo))
    return {k: g[k] == want[k] for k in ATTRS + ("size",)}


def _tokens(cr, messages):
    """Length of the conversation's sequence, as the engine would hold it."""
    parts, _ = cr._row(messages, [], False)
    return len(chat_layout(cr.v, parts, cr.r.scales, cr.r.range_c, cr.r.closing)[0])


def five_turn(runner, smp, combos, max_context):
    """combos: pairs of held-out combos (first drawing, fifth-turn drawing). Returns the scores and examples."""
    cr = ChatRunner(runner)
    rng = np.random.default_rng(11)
    n = len(combos)
    hits = {"completed": 0, "caption": 0, "recolour": 0, "recolour_colour": 0, "recolour_kept": 0,
            "caption_after_edit": 0, "draw_again": 0}
    longest, examples = 0, []
    for i, (c1, c2) in enumerate(combos):
        size, color, shape, pos, bg = c1
        new = [x for x in COLOR_NAMES if x not in (color, bg)][rng.integers(len(COLOR_NAMES) - 2)]
        edited = (size, new, shape, pos, bg)
        msgs, log = [], []

        def turn(text):
            msgs.append({"role": "user", "parts": [{"text": text}]})
            r = _reply(cr, msgs, i, smp)
            msgs.append(_assistant(cr, r))
            log.append({"user": text, "reply": r["text"], "images": len(r["images"])})
            return r
        r1 = turn("draw " + shape_caption(*c1))
        r2 = turn(chat.FOLLOW_UPS[0])
        r3 = turn(chat.RECOLOUR[0].format(color=new))
        r4 = turn("describe it")
        r5 = turn("draw " + shape_caption(*c2))
        longest = max(longest, _tokens(cr, msgs))
        ok = r1["images"] and r3["images"] and r5["images"] and not r2["images"] and not r4["images"]
        hits["completed"] += bool(ok) and _tokens(cr, msgs) <= max_context
        hits["caption"] += all(_caption_hits(r2["text"], c1)[k] for k in ATTRS)
        if r3["images"]:
            a = checker.analyze(runner.decode(r3["images"][0]))
            kept = a["shape"] == shape and a["position"] == pos and a["bg"] == bg
            hits["recolour_colour"] += a["color"] == new
            hits["recolour_kept"] += kept
            hits["recolour"] += kept and a["color"] == new
            log[2]["seen"] = a
        hits["caption_after_edit"] += all(_caption_hits(r4["text"], edited)[k] for k in ATTRS)
        if r5["images"]:
            a = checker.analyze(runner.decode(r5["images"][0]))
            hits["draw_again"] += a["color"] == c2[1] and a["position"] == c2[3] and a["bg"] == c2[4]
            log[4]["seen"] = a
        if len(examples) < 3:
            examples.append(log)
    out = {k: 100.0 * v / n for k, v in hits.items()}
    out.update(n=n, longest_tokens=longest, max_context=max_context, examples=examples)
    return out


def heldout_renderer(runner, smp, combos):
    """Chat captions of render_heldout images, cycling 64/128 px and hard/soft edges."""
    cr = ChatRunner(runner)
    rng = np.random.default_rng(13)
    hits = {k: 0 for k in ATTRS + ("size",)}
    right, by_kind, examples = 0, {}, []
    for i, c in enumerate(combos):
        side, soft = (64, 128)[i % 2], (i // 2) % 2 == 1
        img = render_heldout(c, rng, side, soft)
        msgs = [{"role": "user", "parts": [{"codes": cr.encode_image(img)}, {"text": chat.QUESTIONS[0]}]}]
        text = _reply(cr, msgs, 0, smp)["text"]
        h = _caption_hits(text, c)
        for k in h:
            hits[k] += h[k]
        ok = all(h[k] for k in ATTRS)
        right += ok
        kind = f"{side}px_{'soft' if soft else 'hard'}"
        by_kind.setdefault(kind, []).append(ok)
        if len(examples) < 4:
            examples.append({"true": shape_caption(*c), "reply": text, "render": kind})
    n = len(combos)
    return {"n": n, "all_four": 100.0 * right / n, **{k: 100.0 * v / n for k, v in hits.items()},
            "by_render": {k: 100.0 * sum(v) / len(v) for k, v in by_kind.items()}, "examples": examples}
