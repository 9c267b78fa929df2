"""Conversations for training (convo.py, RowMaker.convo) and the two extra renderers: every state is a training
combo, an edit changes only what it asks for, questions are answered by the latest image's caption with no
image, attached images are inputs with no targets, and the eval-only renderer stays out of training."""
import ast
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from nextscale_tools import chat, checker, convo, shapes  # noqa: E402
from nextscale_tools.palette import parse_caption, shape_caption  # noqa: E402
from nextscale_tools.render_heldout import render_heldout  # noqa: E402
from nextscale_tools.render_varied import render_varied  # noqa: E402
from nextscale_tools.rows import RowMaker  # noqa: E402
from nextscale_tools.vocab import Vocab, split_words  # noqa: E402

SCALES = [1, 2, 3, 4, 6, 8]
N_ALL = sum(s * s for s in SCALES)
TOOLS = os.path.join(os.path.dirname(__file__), "..")


def fake_codes(n, offset):
    codes = ((np.arange(N_ALL)[None] + offset + 3 * np.arange(n)[:, None]) % 512).astype(np.int16)
    return {"codes": codes, "topk": np.repeat(codes[:, :N_ALL - 64, None], 3, 2)}


class TestConvo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        train, cls.held, _ = shapes.split_combos()
        caps = [shape_caption(*c) for c in train]
        cls.data = {"shapes_train": {"captions": caps}, "shapes_varied": {"captions": caps[::5]},
                    "emoji": {"captions": ["red apple", "dog face", "snowman"]}}
        cls.world = convo.World(caps, caps[::5], cls.data["emoji"]["captions"])
        cls.vocab = Vocab.from_captions(caps + cls.data["emoji"]["captions"] + chat.chat_words(), 512)
        cls.tokens = {"shapes_train": fake_codes(len(caps), 0), "shapes_varied": fake_codes(len(caps[::5]), 7),
                      "emoji": fake_codes(3, 11)}
        cfg = {"vq": {"scales": SCALES}, "lm": {"rope_image_range": 32.0, "loss_alpha": 0.6, "max_text_words": 16,
                                                "prompt_dropout": 0.0, "self_correct_prob": 0.0}}
        cls.maker = RowMaker(cfg, cls.data, cls.tokens, cls.vocab, np.random.default_rng(0))

    def test_scripts_follow_their_images(self):
        rng = np.random.default_rng(1)
        train = set(self.world.train)
        kinds = set()
        for _ in range(300):
            latest = None
            for t in convo.script(self.world, rng):
                if t["attach"] is not None:
                    latest = self.world.varied[t["attach"]]
                texts = [a for k, a in t["reply"] if k == "text"]
                shown = [a for k, a in t["reply"] if k == "image"]
                if not shown:  # a question: the caption of the latest image, and no image
                    self.assertEqual(texts, [shape_caption(*latest) if isinstance(latest, tuple) else latest])
                    kinds.add("ask")
                    continue
                (split, i), = shown
                if split == "emoji":
                    latest = self.data["emoji"]["captions"][i]
                    kinds.add("emoji")
                    continue
                combo = parse_caption(self.data["shapes_train"]["captions"][i])
                self.assertIn(combo, train)
                if t["user"].split()[0] in ("draw", "show", "make") and "it" not in t["user"].split():
                    self.assertEqual(t["user"].split(" ", 1)[1].replace("me ", "", 1).replace("an image of ", ""),
                                     shape_caption(*combo))
                    kinds.add("draw")
                else:  # an edit: says what it draws, and changes exactly one attribute of the latest image
                    self.assertEqual(texts[0], "here is " + shape_caption(*combo))
                    diff = [k for k, (a, b) in enumerate(zip(latest, combo)) if a != b]
                    self.assertEqual(len(diff), 1, (t, latest))
                    kinds.add({0: "resize", 1: "recolour", 3: "move"}[diff[0]])
                    if diff[0] == 1:
                        self.assertIn(combo[1], t["user"].split())
                latest = combo
        self.assertEqual(kinds, {"ask", "emoji", "draw", "resize", "recolour", "move"})

    def test_convo_rows_put_targets_on_drawn_images_only(self):
        v = self.vocab
        for seed in range(30):
            self.maker.rng = np.random.default_rng(seed)
            rng_copy = np.random.default_rng(seed)
            turns = convo.script(self.world, rng_copy)
            row = self.maker.convo("shapes_train", 0)
            drawn = sum(k == "image" for t in turns for k, _ in t["reply"])
            attached = sum(t["attach"] is not None for t in turns)
            self.assertEqual(row.n_images, drawn + attached)
            self.assertEqual(int((row.tgt >= v.image_start).sum()), drawn * N_ALL)
            self.assertAlmostEqual(float(row.wt[row.tgt >= v.image_start].sum()), drawn, places=4)
            words = [v.specials_or_words(t) for t in row.tgt if 0 <= t < v.image_start]
            want = []
            for t in turns:
                for k, a in t["reply"]:
                    want += split_words(a) if k == "text" else ["<boi>"]
                want.append("<eos>")
            self.assertEqual(words, want)
            for k, (t_img, inp) in enumerate(zip([x for t in turns for x in
                                                  ([("in", t["attach"])] if t["attach"] is not None else []) +
                                                  [("out", a) for kk, a in t["reply"] if kk == "image"]], row.inp)):
                if t_img[0] == "in":
                    self.assertEqual(inp.tolist(), self.tokens["shapes_varied"]["codes"][t_img[1]].tolist())

    def test_varied_renders_keep_their_caption(self):
        rng = np.random.default_rng(2)
        combos = self.held[:150]
        hits = sum(all(checker.analyze(render_varied(c, rng))[k] == c[i] for k, i in
                       (("color", 1), ("position", 3), ("bg", 4))) for c in combos)
        self.assertGreaterEqual(hits, 0.97 * len(combos))
        crisp = {tuple(np.unique(render_varied(combos[0], np.random.default_rng(s)).reshape(-1, 3), axis=0).shape)
                 for s in range(20)}
        self.assertGreater(len(crisp), 1)  # not one rendering style

    def test_heldout_renderer_draws_the_combo(self):
        rng = np.random.default_rng(3)
        for i, c in enumerate(self.held[:90]):
            a = checker.analyze(render_heldout(c, rng, (64, 128)[i % 2], i % 3 > 0))
            self.assertEqual((a["color"], a["shape"], a["position"], a["bg"]), (c[1], c[2], c[3], c[4]))

    def test_training_never_uses_the_heldout_renderer(self):
        """Only the eval modules may import render_heldout: scores on it must measure unseen drawings."""
        allowed = {"convo_eval.py", "render_heldout.py"}
        for root in (os.path.join(TOOLS, "nextscale_tools"), TOOLS):
            for fn in os.listdir(root):
                if not fn.endswith(".py") or fn in allowed or fn == "eval.py":
                    continue
                with open(os.path.join(root, fn)) as f:
                    tree = ast.parse(f.read())
                names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                         for a in n.names} | {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
                self.assertFalse(any("render_heldout" in x or "convo_eval" in x for x in names), fn)


if __name__ == "__main__":
    unittest.main()
