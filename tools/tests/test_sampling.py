"""docs/sampling.md: RNG test vectors and sampler behaviour."""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from nextscale_tools.sampling import draw_u32, image_step, sample_token, text_step, uniform  # noqa: E402


class TestRng(unittest.TestCase):
    def test_vectors(self):
        self.assertEqual(draw_u32(0, 0, 0), 2145236065)
        self.assertEqual(draw_u32(42, 3, 7), 2300026028)
        self.assertEqual(float(uniform(42, 3, 7)), 0.5355165004730225)

    def test_streams(self):
        self.assertEqual(image_step(0, 3), 3)
        self.assertEqual(image_step(2, 5), (2 << 8) | 5)
        self.assertEqual(text_step(4), 0x80000004)
        u = [float(uniform(1, 0, p)) for p in range(1000)]
        self.assertTrue(all(0 <= x < 1 for x in u))
        self.assertAlmostEqual(float(np.mean(u)), 0.5, delta=0.05)


class TestSampler(unittest.TestCase):
    def setUp(self):
        self.l = np.array([0.1, 3.0, -1.0, 2.5, 3.0, 0.0], dtype=np.float32)

    def test_greedy_lowest_index_among_maxima(self):
        self.assertEqual(sample_token(self.l, temperature=0), 1)

    def test_top_k_keeps_ties(self):
        picks = {sample_token(self.l, top_k=1, seed=s) for s in range(200)}
        self.assertEqual(picks, {1, 4})  # both maxima tie at the k-th value
        picks = {sample_token(self.l, top_k=3, seed=s) for s in range(300)}
        self.assertEqual(picks, {1, 3, 4})

    def test_top_p(self):
        l = np.log(np.array([0.5, 0.3, 0.15, 0.05], dtype=np.float32))
        self.assertEqual({sample_token(l, top_p=0.5, seed=s) for s in range(200)}, {0})
        self.assertEqual({sample_token(l, top_p=0.79, seed=s) for s in range(300)}, {0, 1})
        self.assertEqual({sample_token(l, top_p=0.81, seed=s) for s in range(400)}, {0, 1, 2})

    def test_cfg_formula(self):
        cond = np.array([1.0, 0.0], dtype=np.float32)
        unc = np.array([0.0, 2.0], dtype=np.float32)
        # (1+t)*cond - t*uncond with t=1 -> [2, -2]: greedy picks 0; without guidance uncond ignored
        self.assertEqual(sample_token(cond, unc, guidance=1.0, temperature=0), 0)
        self.assertEqual(sample_token(unc, cond, guidance=1.0, temperature=0), 1)

    def test_draw_walks_index_order(self):
        l = np.zeros(4, dtype=np.float32)  # uniform: token = floor(u * 4)
        for s in range(50):
            self.assertEqual(sample_token(l, seed=s, step=2, pos=3), int(float(uniform(s, 2, 3)) * 4))

    def test_deterministic(self):
        l = np.random.default_rng(0).normal(size=512).astype(np.float32)
        a = [sample_token(l, seed=9, step=1, pos=p, top_k=50, top_p=0.9) for p in range(64)]
        b = [sample_token(l, seed=9, step=1, pos=p, top_k=50, top_p=0.9) for p in range(64)]
        self.assertEqual(a, b)


if __name__ == "__main__":
    unittest.main()
