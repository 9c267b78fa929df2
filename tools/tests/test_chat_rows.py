"""Chat tasks: edit pairs change only the object colour; chat rows put targets exactly where the engine reads."""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from nextscale_tools import chat, checker, shapes  # noqa: E402
from nextscale_tools.rows import RowMaker  # noqa: E402
from nextscale_tools.seq import block_upsample_matrix, caption_layout, cells_per_image, chat_layout  # noqa: E402
from nextscale_tools.vocab import Vocab, split_words  # noqa: E402

SCALES = [1, 2, 3, 4, 6, 8]
N_ALL = sum(s * s for s in SCALES)
N_IN = N_ALL - 64


def fake_split(n, offset):
    codes = (np.arange(N_ALL)[None] + offset + np.arange(n)[:, None]) % 512
    return {"codes": codes.astype(np.int16), "topk": np.repeat(codes[:, :N_IN, None], 3, 2).astype(np.int16),
            "after_codes": (codes + 7) % 512, "after_topk": np.repeat((codes[:, :N_IN, None] + 7) % 512, 3, 2)}


class TestChatRows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        train, _, _ = shapes.split_combos()
        cls.edits = chat.build_edit_pairs(train, 6, seed=1)
        caps = cls.edits["captions"] + cls.edits["after_captions"]
        cls.data = {"edits": cls.edits, "shapes_train": {"captions": caps}}
        cls.vocab = Vocab.from_captions(caps + chat.chat_words(), 512)
        cls.tokens = {"edits": fake_split(6, 0), "shapes_train": fake_split(12, 100)}
        cfg = {"vq": {"scales": SCALES}, "lm": {"rope_image_range": 8.0, "loss_alpha": 0.6, "max_text_words": 16,
                                                "prompt_dropout": 0.0, "self_correct_prob": 0.0}}
        cls.maker = RowMaker(cfg, cls.data, cls.tokens, cls.vocab, np.random.default_rng(0))

    def test_edit_pairs_differ_only_in_colour(self):
        e = self.edits
        for a, b, ca, cb, new in zip(e["images"], e["after_images"], e["captions"], e["after_captions"], e["new_colors"]):
            wa, wb = ca.split(), cb.split()
            self.assertEqual([x for x, y in zip(wa, wb) if x != y], [wa[2]])
            self.assertEqual(wb[2], new)
            changed = np.any(a != b, axis=-1)
            self.assertTrue(changed.any())
            ys, xs = np.nonzero(changed)  # every changed pixel is inside the object's box
            self.assertLess(max(ys.max() - ys.min(), xs.max() - xs.min()), 24)
            combo_b = (wb[1], wb[2], wb[3], " ".join(wb[6:-4]) if wb[5] == "the" else wb[6], wb[-2])
            self.assertEqual(checker.score([b], [combo_b])["color"], 100.0)

    def test_edit_row_targets(self):
        row = self.maker.chat_edit("edits", 2)
        v = self.vocab
        img_t = row.tgt[row.tgt >= v.image_start] - v.image_start
        self.assertEqual(len(img_t), 2 * N_ALL)  # both images, every cell once
        codes = self.tokens["edits"]
        self.assertEqual(sorted(img_t.tolist()), sorted(codes["codes"][2].tolist() + codes["after_codes"][2].tolist()))
        self.assertAlmostEqual(float(row.wt[row.tgt >= v.image_start].sum()), 2.0, places=5)
        text_t = [v.specials_or_words(t) for t in row.tgt if 0 <= t < v.image_start]
        self.assertEqual(text_t, ["here", "you", "go", "<boi>", "anything", "else", "?", "<eos>",
                                  "done", "<boi>", "anything", "else", "?", "<eos>"])
        self.assertEqual(np.concatenate(row.inp).tolist(),
                         codes["codes"][2].tolist() + codes["after_codes"][2].tolist())
        ids = [v.specials_or_words(i) for i, s in zip(row.lay.ids, row.lay.scale) if s == -1]
        turn2 = ids[ids.index("<eos>") + 1:]
        self.assertEqual(turn2[:6], ["<user>", "now", "make", "it", self.edits["new_colors"][2], "<assistant>"])

    def test_caption_row_targets(self):
        row = self.maker.chat_cap("shapes_train", 3)
        v = self.vocab
        want = split_words(self.data["shapes_train"]["captions"][3]) + ["<eos>"]
        self.assertEqual([v.specials_or_words(t) for t in row.tgt if t >= 0], want)
        self.assertAlmostEqual(float(row.wt.sum()), 1.0, places=5)

    def test_whole_images_end_with_a_closing_block_of_the_last_scale(self):
        """A whole image's finest codes are an input (closing block: scale id 0, G x G, right before <eoi>)."""
        for row in (self.maker.cap("shapes_train", 3), self.maker.chat_cap("shapes_train", 3),
                    self.maker.chat_edit("edits", 2)):
            lay, v = row.lay, self.vocab
            closing = [p for p, s in enumerate(lay.scale) if s == 0]
            self.assertEqual(len(closing), 64 * row.n_images)
            for k in range(row.n_images):
                cells = closing[64 * k:64 * (k + 1)]
                self.assertEqual(cells, list(range(cells[0], cells[0] + 64)))
                self.assertEqual(lay.ids[cells[-1] + 1], v.eoi)
                self.assertEqual([lay.slot[p] for p in cells], [k * (N_ALL - 1 + 64) + N_ALL - 1 + j for j in range(64)])
                self.assertTrue((row.tgt[cells] == -1).all())
                self.assertEqual({lay.pos[p][2] - lay.pos[cells[0] - 36][2] for p in cells}, {1.0})  # time p0 + S

    def test_without_closing_blocks_text_resumes_after_the_last_block(self):
        """image.feed_back_finest = false: no closing block, no closing rows in M, and the text after an image at
        p0 + max(C, S) (chat-program.ts imageSpan); the reference must lay a context out as the engine does."""
        v, S = self.vocab, len(SCALES)
        words = v.encode("a small red circle")
        for closing in (True, False):
            lay = caption_layout(v, words, SCALES, 4.0, closing=closing)
            self.assertEqual(sum(s == 0 for s in lay.scale), 64 if closing else 0)
            eoi = lay.ids.index(v.eoi)
            self.assertEqual(lay.pos[eoi][0], 2 + (S + 1 if closing else S))  # p0 = 2; C = 4 < S
            self.assertEqual(block_upsample_matrix(SCALES, closing).shape[0], N_ALL - 1 + (64 if closing else 0))
            chat_lay, bois = chat_layout(v, [("image", S), ("tokens", words), ("image", S)], SCALES, 4.0, closing)
            slots = [x for x in chat_lay.slot if x >= 0]
            self.assertEqual(slots, list(range(2 * cells_per_image(SCALES, closing))))


    def test_self_correction_chains_feed_their_own_targets(self):
        """With lm.self_correct_chains, a t2i row's inputs and targets come from the same stored chain (or both
        are the clean codes): never a swapped input with the clean chain's targets."""
        tokens = {k: dict(v) for k, v in self.tokens.items()}
        n = len(tokens["shapes_train"]["codes"])
        chain_tgt = np.stack([(tokens["shapes_train"]["codes"] + 1000 * (v + 1)) for v in range(2)], 1)
        tokens["shapes_train"].update(chain_inp=chain_tgt + 100, chain_tgt=chain_tgt)
        cfg = {"vq": {"scales": SCALES}, "lm": {"rope_image_range": 8.0, "loss_alpha": 0.6, "max_text_words": 16,
                                                "prompt_dropout": 0.0, "self_correct_prob": 0.25,
                                                "self_correct_chains": 2}}
        maker = RowMaker(cfg, self.data, tokens, self.vocab, np.random.default_rng(0))
        seen = set()
        for i in range(40):
            row = maker.t2i("shapes_train", i % n)
            tgt = row.tgt[row.tgt >= self.vocab.image_start] - self.vocab.image_start
            inp = row.inp[0]
            variant = int(inp[0]) // 1000 if inp[0] >= 1000 else 0
            seen.add(variant)
            clean = tokens["shapes_train"]["codes"][i % n].astype(np.int64)
            want_tgt = clean if variant == 0 else chain_tgt[i % n, variant - 1]
            self.assertEqual(sorted(tgt.tolist()), sorted(want_tgt.tolist()))
            self.assertTrue(np.array_equal(inp, clean if variant == 0 else want_tgt + 100))
        self.assertEqual(seen, {0, 1, 2})

    def test_soft_finest_targets_change_only_the_finest_scale_loss(self):
        """lm.finest_soft_tau: the finest scale's targets spread over the target code's codebook neighbours;
        every other target keeps its one-hot loss, and a vanishing tau is the plain loss again."""
        import json
        import torch
        from nextscale_tools.model import NextScaleDecoder
        from nextscale_tools.train_lm import collate_rows, lm_loss, soft_code_targets
        torch.manual_seed(0)
        with open(os.path.join(os.path.dirname(__file__), "..", "configs", "tiny.json")) as f:
            lm = dict(json.load(f)["lm"], layers=1)
        model = NextScaleDecoder(lm, self.vocab.size, len(SCALES), 32).eval()
        E = torch.randn(512, 32)
        rows = [self.maker.t2i("shapes_train", i) for i in range(3)] + [self.maker.cap("shapes_train", 0)]
        batch = collate_rows(rows, self.vocab.pad, self.maker.n_codes)
        M, start, finest = block_upsample_matrix(SCALES), self.vocab.image_start, len(SCALES) - 1
        with torch.no_grad():
            hard = lm_loss(model, M, E, batch, start)
            soft = lm_loss(model, M, E, batch, start, (soft_code_targets(E, 50.0), finest))
            sharp = lm_loss(model, M, E, batch, start, (soft_code_targets(E, 1e-4), finest))
            wt = batch[6].clone()
            wt[batch[1] == finest] = 0  # drop the finest scale's targets: soft and hard agree on the rest
            rest = batch[:6] + (wt,) + batch[7:]
            self.assertTrue(wt.sum() > 0)
            self.assertEqual(int(((batch[1] == finest) & (batch[5] >= start)).sum()), 3 * SCALES[-1] ** 2)
            self.assertAlmostEqual(lm_loss(model, M, E, rest, start).item(),
                                   lm_loss(model, M, E, rest, start, (soft_code_targets(E, 50.0), finest)).item(), 5)
        self.assertNotAlmostEqual(hard.item(), soft.item(), 2)
        self.assertAlmostEqual(hard.item(), sharp.item(), 4)


if __name__ == "__main__":
    unittest.main()
