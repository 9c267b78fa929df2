"""Reference inference: text-to-image by next-scale prediction with CFG, and greedy captioning.

No KV cache: each scale re-runs the whole prefix (identical maths for a block-causal model; simple to audit).
"""
import numpy as np
import torch

from .sampling import image_step, sample_token
from .seq import block_upsample_matrix, caption_layout, collate, gather_block_feats, t2i_layout

# Golden draws must not sit on a sampling boundary: the browser's logits differ from these (another sum order) by a
# few 1e-6 of their magnitude on SwiftShader (e2e/goldens/compare.ts), which can flip a draw whose margin is smaller.
# The margin kept is far wider, so that goldens also hold on GPUs whose sums round differently.
STABILITY_REL = 2.5e-4


class Runner:
    def __init__(self, model, vq, vocab, scales, range_c, closing=True):
        """closing: the model's image.feed_back_finest (a whole image is followed by its closing block)."""
        self.model, self.vq, self.vocab = model.eval(), vq.eval(), vocab
        self.scales, self.range_c, self.closing = list(scales), range_c, closing
        self.M = block_upsample_matrix(self.scales, closing)
        self.codebook = vq.codebook.weight.detach()
        self.n_codes = sum(s * s for s in self.scales)  # input codes per image (M's columns)

    def _logits_BLV(self, layouts, in_codes_BN):
        ids, scale, pos, group, slot = collate(layouts, self.vocab.pad)
        feats = gather_block_feats(self.M, self.codebook, in_codes_BN, slot)
        return self.model(ids, feats, scale, pos, group)

    def _in_codes(self, codes, rows):
        flat = [c for sc in codes for c in sc]
        flat = (flat + [0] * self.n_codes)[: self.n_codes]
        return torch.tensor([flat] * rows, dtype=torch.long)

    @torch.no_grad()
    def generate(self, prompt, seed, cfg=2.0, temperature=1.0, top_k=0, top_p=1.0, k_img=0, keep_logits=0,
                 check_stability=False):
        """Returns (codes per scale as flat row-major lists, logits record, image uint8 HxWx3).
        logits record: per scale {"cond": [[...]], "uncond": [[...]]} over the image-code range for the first
        min(keep_logits, h*w) tokens. check_stability: count in self.unstable_draws the draws that change when
        the logits move by a few 1e-4 of their magnitude (as much as GPU sum order moves them)."""
        self.unstable_draws = 0
        words = self.vocab.encode(prompt)
        nulls = [self.vocab.null] * len(words)
        lo, hi = self.vocab.image_start, self.vocab.size
        codes, record = [], []
        for s, hw in enumerate(self.scales):
            rows = [t2i_layout(self.vocab, w, self.scales, self.range_c, s + 1)[0] for w in (words, nulls)]
            logits = self._logits_BLV(rows, self._in_codes(codes, 2))[:, :, lo:hi]
            L = len(rows[0])
            n = hw * hw
            out_BNV = logits[:, L - 1:L] if s == 0 else logits[:, L - n:L]  # <boi> predicts scale 0
            cond, unc = out_BNV[0].numpy(), out_BNV[1].numpy()
            sc = [sample_token(cond[p], unc[p], cfg, temperature, top_k, top_p, seed, image_step(k_img, s), p)
                  for p in range(n)]
            if check_stability:
                self.unstable_draws += self._unstable(cond, unc, sc, (cfg, temperature, top_k, top_p, seed,
                                                                        image_step(k_img, s)))
            codes.append(sc)
            record.append({"cond": cond[:keep_logits].tolist(), "uncond": unc[:keep_logits].tolist()})
        img = self.decode(codes)
        return codes, record, img

    @staticmethod
    def _unstable(cond_NV, unc_NV, drawn, args, rel=STABILITY_REL, trials=4):
        rng = np.random.default_rng(0)
        bad = 0
        for p, tok in enumerate(drawn):
            eps = np.float32(rel * max(np.abs(cond_NV[p]).max(), np.abs(unc_NV[p]).max(), 1.0))
            for _ in range(trials):
                c = cond_NV[p] + eps * rng.uniform(-1, 1, cond_NV.shape[1]).astype(np.float32)
                u = unc_NV[p] + eps * rng.uniform(-1, 1, unc_NV.shape[1]).astype(np.float32)
                if sample_token(c, u, *args, p) != tok:
                    bad += 1
                    break
        return bad

    def decode(self, codes):
        maps = [torch.tensor(c, dtype=torch.long).view(1, s, s) for c, s in zip(codes, self.scales)]
        out = self.vq.decode_codes(maps)
        return out[0].clamp(-1, 1).add(1).mul(127.5).round().byte().permute(1, 2, 0).numpy()

    @torch.no_grad()
    def caption(self, codes_flat, max_words=16):
        """Greedy caption from an image's flat code list (coarse->fine, all scales). Candidates: text plus <eos>."""
        in_codes = torch.tensor([list(codes_flat[: self.n_codes])], dtype=torch.long)
        words = []
        for _ in range(max_words):
            lay = caption_layout(self.vocab, words, self.scales, self.range_c, with_eos=False, closing=self.closing)
            logits = self._logits_BLV([lay], in_codes)[0, -1]
            cand = np.full(self.vocab.size, -np.inf, dtype=np.float32)
            cand[self.vocab.text_start:self.vocab.image_start] = logits[self.vocab.text_start:self.vocab.image_start].numpy()
            cand[self.vocab.eos] = logits[self.vocab.eos].item()
            tok = int(np.argmax(cand))
            if tok == self.vocab.eos:
                break
            words.append(tok)
        return words
