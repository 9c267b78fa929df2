"""VQ quantize/dequantize shapes, block upsample matrix, block-causal decoder, safetensors round trip."""
import json
import os
import sys
import tempfile
import unittest

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import numpy as np  # noqa: E402

from nextscale_tools import safetensors_io  # noqa: E402
from nextscale_tools.finetune_vq_decoder import finetune_vq_decoder  # noqa: E402
from nextscale_tools.model import NextScaleDecoder  # noqa: E402
from nextscale_tools.seq import block_upsample_matrix, collate, gather_block_feats, t2i_layout  # noqa: E402
from nextscale_tools.train_lm import grow_depth, grow_width  # noqa: E402
from nextscale_tools.vocab import Vocab  # noqa: E402
from nextscale_tools.vq import MultiScaleVQ  # noqa: E402

CFG = json.load(open(os.path.join(os.path.dirname(__file__), "..", "configs", "tiny.json")))
SCALES = CFG["vq"]["scales"]


def _logits_of_both(small, big, vocab):
    """Logits of a checkpoint (no grad) and of the model grown from it (with grad) on one random t2i row."""
    M = block_upsample_matrix(SCALES)
    E = torch.randn(512, 32)
    codes = torch.randint(0, 512, (1, sum(s * s for s in SCALES)))
    lay, _ = t2i_layout(vocab, vocab.encode("a red circle"), SCALES, 8.0, len(SCALES))
    ids, scale, pos, group, slot = collate([lay], vocab.pad)
    feats = gather_block_feats(M, E, codes, slot)
    with torch.no_grad():
        want = small(ids, feats, scale, pos, group)
    return want, big(ids, feats, scale, pos, group)


class TestVQ(unittest.TestCase):
    def test_quantize_shapes_and_dequantize(self):
        torch.manual_seed(0)
        vq = MultiScaleVQ(CFG["vq"]).eval()
        x = torch.rand(2, 3, 64, 64) * 2 - 1
        with torch.no_grad():
            z = vq.encoder(x)
            self.assertEqual(tuple(z.shape), (2, 32, 8, 8))
            f_hat, codes, tops, _ = vq.quantize(z, topk=3)
            self.assertEqual([tuple(c.shape) for c in codes], [(2, s, s) for s in SCALES])
            self.assertEqual(tuple(tops[2].shape), (2, 3, 3, 3))
            self.assertTrue(torch.equal(tops[2][..., 0], codes[2]))
            self.assertTrue(torch.allclose(vq.codes_to_fhat(codes), f_hat, atol=1e-5))
            self.assertEqual(tuple(vq.decode_codes(codes).shape), (2, 3, 64, 64))

    def test_self_correction_chain_targets_follow_the_codes_used(self):
        """With no swaps a chain is plain quantization; with swaps, each scale's target is the top-1 code of the
        residual left by the codes actually used, so it differs from the clean codes after the first swap."""
        torch.manual_seed(0)
        vq = MultiScaleVQ(CFG["vq"]).eval()
        vq.codebook.weight.data.normal_(0, 0.3)
        z = torch.randn(8, 32, 8, 8) * 0.5
        with torch.no_grad():
            _, codes, _, _ = vq.quantize(z)
            inp, tgt = vq.quantize_chain(z, 3, 0.0, torch.Generator().manual_seed(1))
            self.assertTrue(all(torch.equal(a, c) and torch.equal(b, c) for a, b, c in zip(inp, tgt, codes)))
            inp, tgt = vq.quantize_chain(z, 3, 0.5, torch.Generator().manual_seed(1))
            self.assertTrue(torch.equal(inp[-1], tgt[-1]))  # the last scale feeds no later block: never swapped
            self.assertTrue(any(bool((a != b).any()) for a, b in zip(inp[:-1], tgt[:-1])))
            self.assertTrue(bool((tgt[-1] != codes[-1]).any()))
            f_used = vq.codes_to_fhat(inp[:-1] + [torch.zeros_like(inp[-1])]) - vq.embed_BDhw(torch.zeros_like(inp[-1]))
            want = vq.nearest_topk_BhwK(z - f_used, 1)[..., 0]  # the finest target re-derived from the codes used
            self.assertTrue(torch.equal(tgt[-1], want))

    def test_block_upsample_matrix_is_bicubic(self):
        M = block_upsample_matrix(SCALES)
        E = torch.randn(512, 32)
        codes = torch.randint(0, 512, (1, sum(s * s for s in SCALES)))
        feats = M @ E[codes]
        # block s=2 (3x3) comes from scale 1 (2x2) codes, which sit at offset 1 of the input codes
        prev = E[codes[0, 1:5]].t().reshape(1, 32, 2, 2)
        ref = F.interpolate(prev, size=(3, 3), mode="bicubic", align_corners=False).reshape(32, 9).t()
        self.assertTrue(torch.allclose(feats[0, 4:13], ref, atol=1e-5))
        # the closing block (last G*G cells) is the last scale's code features, unresampled
        G2 = SCALES[-1] ** 2
        self.assertEqual(M.shape[0], sum(s * s for s in SCALES[1:]) + G2)
        self.assertTrue(torch.allclose(feats[0, -G2:], E[codes[0, -G2:]], atol=1e-6))


class TestDecoderFinetune(unittest.TestCase):
    def test_codes_stay_decoder_moves(self):
        """The fine-tune may change only codes -> pixels: every image's codes must stay as they were."""
        torch.manual_seed(0)
        cfg = dict(CFG["vq"], decoder_finetune={"minutes": 0.02, "lr": 1e-3, "batch": 4, "edge_weight": 8.0,
                                                "l1_weight": 0.5}, emoji_fraction=0.25)
        vq = MultiScaleVQ(cfg)
        rng = np.random.default_rng(0)
        imgs = lambda n: rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8)  # noqa: E731
        data = {"shapes_train": {"images": imgs(6)}, "shapes_heldout": {"images": imgs(3)},
                "emoji": {"images": imgs(5), "captions": ["x"] * 5, "vq_heldout": np.array([0, 1])}}
        x = torch.from_numpy(data["shapes_train"]["images"]).permute(0, 3, 1, 2).float() / 127.5 - 1
        with torch.no_grad():
            codes_before = vq.quantize(vq.encoder(x))[1]
            dec_before = [p.clone() for p in vq.decoder.parameters()]
        with tempfile.TemporaryDirectory() as d:
            torch.save({"model": vq.state_dict(), "opt": None, "step": 0, "elapsed": 0.0, "done": True},
                       os.path.join(d, "vq.pt"))
            finetune_vq_decoder(cfg, vq, data, d, 0, log=lambda m: None)
            ck = torch.load(os.path.join(d, "vq.pt"))
        self.assertTrue(ck["decoder_finetune_done"])
        self.assertGreater(ck["decoder_finetune_steps"], 0)
        with torch.no_grad():
            codes_after = vq.quantize(vq.encoder(x))[1]
        self.assertTrue(all(torch.equal(a, b) for a, b in zip(codes_before, codes_after)))
        self.assertTrue(any(not torch.equal(a, b) for a, b in zip(dec_before, vq.decoder.parameters())))
        self.assertTrue(all(p.requires_grad for p in vq.parameters()))


class TestDecoder(unittest.TestCase):
    def test_block_causal(self):
        """Outputs up to block s must not change when later blocks are appended."""
        torch.manual_seed(0)
        lm = dict(CFG["lm"], layers=1)
        vocab = Vocab(["a", "red", "circle"], 512)
        model = NextScaleDecoder(lm, vocab.size, len(SCALES), 32).eval()
        M = block_upsample_matrix(SCALES)
        E = torch.randn(512, 32)
        codes = torch.randint(0, 512, (1, sum(s * s for s in SCALES)))
        outs = []
        for upto in (3, 6):
            lay, p0 = t2i_layout(vocab, vocab.encode("a red circle"), SCALES, 8.0, upto)
            ids, scale, pos, group, slot = collate([lay], vocab.pad)
            with torch.no_grad():
                outs.append(model(ids, gather_block_feats(M, E, codes, slot), scale, pos, group))
        n = outs[0].shape[1]
        self.assertTrue(torch.allclose(outs[0], outs[1][:, :n], atol=1e-5))
        self.assertEqual(p0, 5)
        self.assertEqual(lay.pos[p0], (5 + 8 * 0.25, 5 + 8 * 0.25, 6))  # scale 1 (2x2), cell (0, 0)

    def test_grow_depth_keeps_the_function_and_trains_new_layers(self):
        """A 1-layer checkpoint grown to 3 layers computes the same logits, and every new weight gets a gradient."""
        torch.manual_seed(0)
        vocab = Vocab(["a", "red", "circle"], 512)
        small = NextScaleDecoder(dict(CFG["lm"], layers=1), vocab.size, len(SCALES), 32).eval()
        for p in small.parameters():  # a trained-looking checkpoint: nothing at its init value
            p.data.add_(0.05 * torch.randn_like(p))
        big = NextScaleDecoder(dict(CFG["lm"], layers=3), vocab.size, len(SCALES), 32).eval()
        big.load_state_dict(grow_depth(small.state_dict(), big, log=lambda m: None))
        want, got = _logits_of_both(small, big, vocab)
        self.assertTrue(torch.allclose(got, want, atol=1e-5))
        got.square().mean().backward()
        for name, p in big.named_parameters():
            if name.startswith(("layers.1.", "layers.2.")) and name.endswith(("o_proj.weight", "down_proj.weight")):
                self.assertGreater(float(p.grad.abs().max()), 0.0, name)

    def test_grow_width_keeps_the_function_and_trains_new_dims(self):
        """A checkpoint grown to twice the width (dim, heads, kv heads, FFN) computes the same logits, and the
        zero-initialised weights that write the new residual dims get a gradient. The grown config halves rms_eps:
        the mean now runs over twice the dims (half of them zero), and eps must keep its weight against it."""
        torch.manual_seed(0)
        vocab = Vocab(["a", "red", "circle"], 512)
        small = NextScaleDecoder(dict(CFG["lm"], layers=2, rms_eps=1e-3), vocab.size, len(SCALES), 32).eval()
        for p in small.parameters():
            p.data.add_(0.05 * torch.randn_like(p))
        c = CFG["lm"]
        wide = dict(c, layers=2, rms_eps=0.5e-3, dim=2 * c["dim"], heads=2 * c["heads"], kv_heads=2 * c["kv_heads"], ffn=2 * c["ffn"])
        big = NextScaleDecoder(wide, vocab.size, len(SCALES), 32).eval()
        big.load_state_dict(grow_width(small.state_dict(), big, log=lambda m: None))
        want, got = _logits_of_both(small, big, vocab)
        self.assertLess(float((got - want).abs().max()), 1e-4)
        got.square().mean().backward()
        d = c["dim"]
        for name in ("embed_tokens.weight", "layers.0.o_proj.weight", "layers.1.down_proj.weight"):
            g = dict(big.named_parameters())[name].grad
            new_dims = g[:, d:] if name == "embed_tokens.weight" else g[d:]
            self.assertGreater(float(new_dims.abs().max()), 0.0, name)
        with self.assertRaises(ValueError):  # a changed heads/kv_heads ratio would move old heads to other kv heads
            grow_width(small.state_dict(), NextScaleDecoder(dict(wide, kv_heads=c["kv_heads"] * 4), vocab.size,
                                                            len(SCALES), 32), log=lambda m: None)

class TestSafetensors(unittest.TestCase):
    def test_round_trip_f16(self):
        t = {"b.w": torch.randn(3, 5), "a": torch.arange(7.0)}
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            safetensors_io.save(p, t, "F16", {"k": 1})
            back, meta = safetensors_io.load(p)
            with open(p, "rb") as f:
                raw = f.read()
        self.assertEqual(meta, {"k": "1"})
        self.assertEqual(int.from_bytes(raw[:8], "little") % 8, 0)
        for k in t:
            self.assertTrue(torch.equal(back[k], t[k].half().float()))


if __name__ == "__main__":
    unittest.main()
