"""Shapes world: split, caption format, deterministic rendering, checker agrees with ground truth."""
import json
import os
import random
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from nextscale_tools import checker, emoji, shapes  # noqa: E402
from nextscale_tools.palette import shape_caption  # noqa: E402


class TestShapes(unittest.TestCase):
    def test_split(self):
        train, held, pairs = shapes.split_combos()
        self.assertEqual(len(train) + len(held) + len(pairs), len(shapes.all_combos()))
        self.assertFalse(set(train) & set(held) or set(train) & set(pairs))
        self.assertTrue(all(c[1] != c[4] for c in train + held + pairs))
        self.assertEqual(shapes.split_combos(), (train, held, pairs))

    def test_caption(self):
        self.assertEqual(shape_caption("large", "red", "circle", "center", "blue"),
                         "a large red circle in the center on a blue background")
        self.assertEqual(shape_caption("small", "pink", "square", "top left", "gray"),
                         "a small pink square at the top left on a gray background")

    def test_deterministic(self):
        combos = shapes.split_combos()[0][:40]
        a = shapes.build(combos, 2, seed=3)
        b = shapes.build(combos, 2, seed=3)
        self.assertTrue(np.array_equal(a[0], b[0]))
        self.assertEqual(a[1], b[1])
        self.assertEqual(a[0].shape, (80, 64, 64, 3))

    def test_jitter(self):
        combos = shapes.split_combos()[0][:30]
        centred = shapes.build(combos, 2, seed=3, jitter_px=0)[0]
        # no jitter: both variants of a combo are the same image, whatever the seed
        self.assertTrue(np.array_equal(centred[0::2], centred[1::2]))
        self.assertTrue(np.array_equal(centred, shapes.build(combos, 2, seed=9, jitter_px=0)[0]))
        jittered = shapes.build(combos, 2, seed=3)[0]
        self.assertFalse(np.array_equal(jittered[0::2], jittered[1::2]))
        for imgs in (centred, jittered):
            self.assertEqual(checker.score(imgs, [c for c in combos for _ in range(2)])["shape"], 100.0)

    def test_jitter_config(self):
        from nextscale_tools import config
        with open(os.path.join(os.path.dirname(__file__), "..", "configs", "tiny.json")) as f:
            cfg = json.load(f)
        for bad in (-1, 5, "2"):
            cfg["data"]["jitter_px"] = bad
            with self.assertRaisesRegex(config.ConfigError, "jitter_px"):
                config.validate(cfg)
        cfg["data"]["jitter_px"] = 0
        config.validate(cfg)

    def test_checker_on_ground_truth(self):
        _, held, _ = shapes.split_combos()
        rng = random.Random(0)
        imgs = [shapes.render(c, rng) for c in held[:120]]
        self.assertEqual(checker.score(imgs, held[:120]), {"bg": 100.0, "color": 100.0, "shape": 100.0, "position": 100.0})


class TestEmojiRetrieval(unittest.TestCase):
    def test_ranks(self):
        rng = np.random.default_rng(0)
        glyphs = rng.integers(0, 256, (50, 64, 64, 3)).astype(np.uint8)
        idx = [3, 17, 42]
        near = np.clip(glyphs[idx].astype(int) + rng.integers(-20, 21, (3, 64, 64, 3)), 0, 255).astype(np.uint8)
        self.assertEqual(emoji.retrieval_ranks(near, glyphs, idx).tolist(), [0, 0, 0])
        # another glyph's image: its own glyph (distance 0) beats the asked-for one
        self.assertTrue((emoji.retrieval_ranks(glyphs[[4, 18, 43]], glyphs, idx) >= 1).all())
        # an image with nothing of the target in it ranks the target far down
        self.assertGreater(emoji.retrieval_ranks(np.full((1, 64, 64, 3), 255, np.uint8), glyphs, [0])[0], 0)


if __name__ == "__main__":
    unittest.main()
