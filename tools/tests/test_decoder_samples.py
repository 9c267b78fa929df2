"""The decoder fine-tune on the LM's own samples (vq.sample_finetune): prompts from the training split only, samples
that depend on their index alone (any worker count, resumable), only codes -> pixels moves, jitter refused."""
import json
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from nextscale_tools import chat, config, finetune_decoder_samples as fds, shapes  # noqa: E402
from nextscale_tools.generate import Runner  # noqa: E402
from nextscale_tools.model import NextScaleDecoder  # noqa: E402
from nextscale_tools.palette import shape_caption  # noqa: E402
from nextscale_tools.vocab import Vocab  # noqa: E402
from nextscale_tools.vq import MultiScaleVQ, to_unit  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "..", "configs", "tiny.json")) as f:
    CFG = json.load(f)
SCALES = CFG["vq"]["scales"]
SMP = CFG["sampling"]


class TestDecoderOnSamples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        caps = [shape_caption(*c) for c in shapes.all_combos()]
        cls.vocab = Vocab.from_captions(caps + chat.chat_words(), CFG["vq"]["codebook_size"])
        cls.model = NextScaleDecoder(dict(CFG["lm"], layers=1), cls.vocab.size, len(SCALES), CFG["vq"]["code_dim"])
        cls.vq = MultiScaleVQ(CFG["vq"])
        cls.runner = Runner(cls.model, cls.vq, cls.vocab, SCALES, CFG["lm"]["rope_image_range"])

    def test_prompts_come_from_the_training_split(self):
        train, held, pairs = shapes.split_combos()
        combos, seeds = fds.sample_prompts(300, 29)
        self.assertTrue(set(combos) <= set(train))
        self.assertFalse(set(combos) & (set(held) | set(pairs)))
        self.assertEqual(len(set(seeds)), 300)
        self.assertEqual((combos, seeds), fds.sample_prompts(300, 29))
        self.assertNotEqual(combos, fds.sample_prompts(300, 30)[0])

    def test_samples_depend_on_their_index_only(self):
        chunk, fds.CHUNK = fds.CHUNK, 3
        try:
            with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
                one, combos = fds.draw_samples(self.runner, SMP, 7, 5, a, lambda m: None, workers=1)
                two, _ = fds.draw_samples(self.runner, SMP, 7, 5, b, lambda m: None, workers=2)
                self.assertEqual(one.shape, (7, sum(s * s for s in SCALES)))
                self.assertTrue(((one >= 0) & (one < CFG["vq"]["codebook_size"])).all())
                np.testing.assert_array_equal(one, two)
                # one sample is exactly what the runner draws for its caption and seed
                c, s = combos[4], fds.sample_prompts(7, 5)[1][4]
                sc = self.runner.generate(shape_caption(*c), seed=s, cfg=SMP["cfg"], temperature=SMP["temperature"],
                                          top_k=SMP["top_k"], top_p=SMP["top_p"])[0]
                np.testing.assert_array_equal(one[4], [v for x in sc for v in x])
                os.remove(os.path.join(a, "chunk_0001.npy"))  # a stopped run redraws only what is missing
                logs = []
                again, _ = fds.draw_samples(self.runner, SMP, 7, 5, a, logs.append)
                np.testing.assert_array_equal(one, again)
                self.assertIn("4 of 7 on disk", logs[0])
                # more samples in the same run dir: the short last chunk is drawn again, whole
                more, _ = fds.draw_samples(self.runner, SMP, 8, 5, a, logs.append)
                self.assertEqual(len(more), 8)
                np.testing.assert_array_equal(more[:7], one)
        finally:
            fds.CHUNK = chunk

    def test_only_the_decoder_moves(self):
        rng = np.random.default_rng(0)
        imgs = lambda n: rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8)  # noqa: E731
        data = {"shapes_train": {"images": imgs(6)}, "shapes_heldout": {"images": imgs(3)},
                "emoji": {"images": imgs(5), "captions": ["x"] * 5, "vq_heldout": np.array([0, 1])}}
        cfg = json.loads(json.dumps(CFG))
        cfg["vq"]["sample_finetune"].update(samples=3, minutes=0.02, batch=4)
        x = to_unit(data["shapes_train"]["images"])
        with torch.no_grad():
            codes_before = self.vq.quantize(self.vq.encoder(x))[1]
        dec_before = [p.detach().clone() for p in self.vq.decoder.parameters()]
        lm_before = [p.detach().clone() for p in self.model.parameters()]
        with tempfile.TemporaryDirectory() as d:
            torch.save({"model": self.vq.state_dict(), "step": 0, "done": True, "decoder_finetune_done": True},
                       os.path.join(d, "vq.pt"))
            fds.finetune_decoder_on_samples(cfg, self.vq, self.model, self.vocab, data, d, log=lambda m: None)
            ck = torch.load(os.path.join(d, "vq.pt"))
            self.assertEqual(len(os.listdir(os.path.join(d, "lm_samples"))), 1)
        self.assertTrue(ck["sample_finetune_done"])
        self.assertGreater(ck["sample_finetune_steps"], 0)
        with torch.no_grad():
            codes_after = self.vq.quantize(self.vq.encoder(x))[1]
        self.assertTrue(all(torch.equal(a, b) for a, b in zip(codes_before, codes_after)))
        self.assertTrue(any(not torch.equal(a, b) for a, b in zip(dec_before, self.vq.decoder.parameters())))
        self.assertTrue(all(torch.equal(a, b) for a, b in zip(lm_before, self.model.parameters())))
        self.assertTrue(all(p.requires_grad for p in self.vq.parameters()))

    def test_config_refuses_jitter_and_bad_fractions(self):
        cfg = json.loads(json.dumps(CFG))
        config.validate(cfg)
        cfg["data"]["jitter_px"] = 2
        with self.assertRaisesRegex(config.ConfigError, "jitter_px 0"):
            config.validate(cfg)
        del cfg["data"]["jitter_px"]  # an absent key means the renderer's default jitter (2 px), refused too
        with self.assertRaisesRegex(config.ConfigError, "jitter_px 0"):
            config.validate(cfg)
        cfg["data"]["jitter_px"] = 0
        cfg["vq"]["sample_finetune"]["sample_fraction"] = 0.95
        with self.assertRaisesRegex(config.ConfigError, "at most 1"):
            config.validate(cfg)
        cfg["vq"]["sample_finetune"].update(sample_fraction=0.75, samples=0)
        with self.assertRaisesRegex(config.ConfigError, "whole numbers"):
            config.validate(cfg)


if __name__ == "__main__":
    unittest.main()
