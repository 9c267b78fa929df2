"""Reference chat: the conversation as one sequence (seq.chat_layout), text by next-token prediction and images
in replies by next-scale prediction, with the draws of docs/sampling.md. The WebGPU engine
(src/models/nextflow/chat.ts) must match it token for token. No KV cache: every step re-runs the sequence.

A message is {"role": "user"|"assistant", "parts": [{"text": str} | {"codes": [[...] per scale]}]}.
Text candidates are <eos>, <boi> and the words, in that order (no other special can be emitted).
Text uses text_temperature (0 = greedy), images temperature; top-k/top-p apply to both.
Text token n of the reply draws at step text_step(n), position 0; image k of the reply at image_step(k, s).
CFG (images only): the unconditional row is the same conversation with the last user message's words as <null>.
"""
import numpy as np
import torch

from .sampling import image_step, sample_token, text_step
from .seq import chat_layout, collate, gather_block_feats
from .vq import to_unit


class ChatRunner:
    def __init__(self, runner):
        self.r = runner
        self.v = runner.vocab
        self.S = len(runner.scales)

    @torch.no_grad()
    def encode_image(self, img_u8):
        """HxWx3 uint8 -> codes per scale (flat row-major lists): encoder + residual quantization."""
        z = self.r.vq.encoder(to_unit(img_u8[None]))
        _, codes, _, _ = self.r.vq.quantize(z)
        return [c[0].flatten().tolist() for c in codes]

    def text_candidates(self):
        return [self.v.eos, self.v.boi] + list(range(self.v.text_start, self.v.image_start))

    def _row(self, messages, reply, null_last_user):
        """Layout parts and image codes of the conversation + the reply so far. reply items:
        ("tokens", [ids]) or ("image", [codes of the scales known so far])."""
        v = self.v
        last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
        parts, images = [], []
        for i, m in enumerate(messages):
            parts.append(("tokens", [v.user if m["role"] == "user" else v.assistant]))
            for p in m["parts"]:
                if "codes" in p:
                    parts.append(("image", self.S))
                    images.append(p["codes"])
                else:
                    ids = v.encode(p["text"])
                    parts.append(("tokens", [v.null] * len(ids) if null_last_user and i == last_user else ids))
            if m["role"] == "assistant":
                parts.append(("tokens", [v.eos]))
        parts.append(("tokens", [v.assistant]))
        for kind, arg in reply:
            if kind == "tokens":
                parts.append(("tokens", arg))
            else:  # an image with len(arg) scales known: blocks up to the next scale (or whole)
                parts.append(("image", len(arg)))
                images.append(arg)
        return parts, images

    @torch.no_grad()
    def _logits(self, rows):
        """rows: [(parts, images)] -> (logits [B, L, V], layouts)."""
        n_codes = self.r.n_codes
        lays, inp = [], []
        for parts, images in rows:
            lays.append(chat_layout(self.v, parts, self.r.scales, self.r.range_c, self.r.closing)[0])
            flat = []
            for codes in images:
                cells = [c for sc in codes for c in sc]
                flat += (cells + [0] * n_codes)[:n_codes]
            inp.append(flat)
        K = max(n_codes, max(len(x) for x in inp))
        inp_t = torch.tensor([x + [0] * (K - len(x)) for x in inp], dtype=torch.long)
        ids, scale, pos, group, slot = collate(lays, self.v.pad)
        feats = gather_block_feats(self.r.M, self.r.codebook, inp_t, slot)
        return self.r.model(ids, feats, scale, pos, group), lays

    def reply(self, messages, seed, cfg=0.0, temperature=1.0, top_k=0, top_p=1.0, text_temperature=0.0, max_tokens=32,
              keep_logits=0):
        """The assistant's reply. Returns {"tokens": text-token ids drawn (incl. <boi>/<eos>), "parts": reply items,
        "text": the words, "images": [codes per scale], "text_logits_max_abs": max |logit| over all candidates
        of each text step, "image_logits": per image per scale cond logits of the
        first keep_logits cells, "text_logits": per text step the first keep_logits candidate logits}."""
        reply, tokens, text_logits, text_scale, image_logits = [], [], [], [], []
        cand = np.array(self.text_candidates())
        lo, hi = self.v.image_start, self.v.size
        n_text = n_img = 0
        while n_text < max_tokens:
            logits, lays = self._logits([self._row(messages, reply, False)])
            l_V = logits[0, len(lays[0]) - 1].numpy()[cand]
            tok = int(cand[sample_token(l_V, None, 0.0, text_temperature, top_k, top_p, seed, text_step(n_text), 0)])
            text_logits.append(l_V[:keep_logits].tolist())
            text_scale.append(float(np.abs(l_V).max()))
            tokens.append(tok)
            n_text += 1
            if tok == self.v.eos:
                break
            if tok != self.v.boi:
                if reply and reply[-1][0] == "tokens":
                    reply[-1][1].append(tok)
                else:
                    reply.append(("tokens", [tok]))
                continue
            codes, record = [], []
            reply.append(("image", codes))
            for s, h in enumerate(self.r.scales):
                rows = [self._row(messages, reply, False)] + ([self._row(messages, reply, True)] if cfg else [])
                logits, lays = self._logits(rows)
                n = h * h
                L = [len(x) for x in lays]
                pick = [logits[b, L[b] - 1:L[b]] if s == 0 else logits[b, L[b] - n:L[b]] for b in range(len(rows))]
                cond = pick[0][:, lo:hi].numpy()
                unc = pick[1][:, lo:hi].numpy() if cfg else None
                codes.append([sample_token(cond[p], None if unc is None else unc[p], cfg, temperature, top_k, top_p,
                                           seed, image_step(n_img, s), p) for p in range(n)])
                record.append(cond[:keep_logits].tolist())
            image_logits.append(record)
            n_img += 1
        words = [t for kind, arg in reply if kind == "tokens" for t in arg]
        return {"tokens": tokens, "parts": reply, "text": self.v.decode(words),
                "images": [arg for kind, arg in reply if kind == "image"],
                "text_logits": text_logits, "text_logits_max_abs": text_scale, "image_logits": image_logits}
