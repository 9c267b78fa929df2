"""Training rows: one sequence of the mix with its targets, loss weights and input codes.

Targets follow next-token prediction: position p predicts the token at p+1, except that <boi> predicts the
image's scale-0 codes and block s predicts the codes of scale s. Image targets are weighted by the
scale-aware k_s (one image sums to 1), text targets by 1/n over the n text targets of a turn.
"""
import numpy as np

from . import chat, convo
from .seq import caption_layout, cells_per_image, chat_layout, t2i_layout


def scale_weights(scales, alpha):
    """k_s = 1 / (h_s w_s)^alpha, normalised so a whole image's token weights sum to 1."""
    k = np.array([1.0 / (s * s) ** alpha for s in scales])
    return k / sum(k[i] * scales[i] ** 2 for i in range(len(scales)))


class Row:
    def __init__(self, lay, n_images):
        self.lay = lay
        self.tgt = np.full(len(lay), -1, np.int64)
        self.wt = np.zeros(len(lay), np.float32)
        self.inp = []  # per image: its n_codes input codes (all scales)
        self.n_images = n_images


class RowMaker:
    def __init__(self, cfg, data, tokens, vocab, rng):
        self.scales, self.lm = cfg["vq"]["scales"], cfg["lm"]
        self.data, self.tokens, self.vocab, self.rng = data, tokens, vocab, rng
        self.C = self.lm["rope_image_range"]
        self.kw = scale_weights(self.scales, self.lm["loss_alpha"])
        self.n_in = sum(s * s for s in self.scales[:-1])  # codes that feed blocks 1..S-1
        self.n_codes = sum(s * s for s in self.scales)  # every code of an image (the closing block reads the last)
        self.n_out = sum(s * s for s in self.scales[1:])  # cells that predict a scale
        self.n_cells = cells_per_image(self.scales)
        self.cell_scale = np.concatenate([np.full(s * s, i) for i, s in enumerate(self.scales)])

    # ---- pieces -------------------------------------------------------------------------------------------
    def words(self, text):
        return self.vocab.encode(text)[: self.lm["max_text_words"]]

    def codes(self, split, i, after=False):
        t = self.tokens[split]
        pre = "after_" if after else ""
        return t[pre + "codes"][i].astype(np.int64), t[pre + "topk"][i].astype(np.int64)

    def inputs(self, codes, topk, self_correct):
        """Input codes of every scale; with self-correction some of scales 0..S-2 come from the top-k nearest
        (targets stay). The last scale's codes feed only a closing block, which predicts nothing."""
        inp = codes[: self.n_codes].copy()
        if self_correct:
            swap = self.rng.random(self.n_in) < self.lm["self_correct_prob"]
            inp[: self.n_in][swap] = topk[swap, self.rng.integers(0, topk.shape[1], swap.sum())]
        return inp

    def corrected(self, split, i, after=False):
        """(targets, inputs) of an image whose blocks the model predicts. With lm.self_correct_chains = n, one of
        the clean codes and the n stored chains (tokenize_data.chain_images), uniformly: the targets follow the
        codes actually fed in. Without chains, the clean targets and inputs swapped in place (self.inputs)."""
        codes, topk = self.codes(split, i, after)
        n = self.lm.get("self_correct_chains", 0)
        if not n:
            return codes, self.inputs(codes, topk, True)
        v = int(self.rng.integers(0, n + 1))
        if v == 0:
            return codes, codes[: self.n_codes].copy()
        t, pre = self.tokens[split], "after_" if after else ""
        return t[pre + "chain_tgt"][i, v - 1].astype(np.int64), t[pre + "chain_inp"][i, v - 1].astype(np.int64)

    def mark_image(self, row, boi, k, codes):
        """Targets of image k whose <boi> (or, for t2i, the token before the blocks) is at index boi."""
        row.tgt[boi] = self.vocab.image_start + codes[0]
        row.wt[boi] = self.kw[0]
        slot = np.array(row.lay.slot)
        local = slot - k * self.n_cells
        m = (slot >= 0) & (local >= 0) & (local < self.n_out)
        row.tgt[m] = self.vocab.image_start + codes[1 + local[m]]
        row.wt[m] = self.kw[self.cell_scale[1 + local[m]]]

    def mark_answer(self, row, a, end):
        """Text targets of an assistant turn: positions a..end-1 predict the embedded token that follows."""
        ids, scale = row.lay.ids, row.lay.scale
        ps = [p for p in range(a, end) if scale[p + 1] == -1 and scale[p] == -1 and ids[p] != self.vocab.boi]
        for p in ps:
            row.tgt[p] = ids[p + 1]
            row.wt[p] = 1.0 / len(ps)

    def drop_prompt(self, row, start, end):
        """Prompt dropout (for CFG): the user's words in [start, end) become <null>."""
        if self.rng.random() < self.lm["prompt_dropout"]:
            for p in range(start, end):
                if row.lay.scale[p] == -1 and row.lay.ids[p] not in (self.vocab.boi, self.vocab.eoi):
                    row.lay.ids[p] = self.vocab.null

    # ---- tasks --------------------------------------------------------------------------------------------
    def t2i(self, split, i):
        words = self.words(self.data[split]["captions"][i])
        if self.rng.random() < self.lm["prompt_dropout"]:
            words = [self.vocab.null] * len(words)
        lay, p0 = t2i_layout(self.vocab, words, self.scales, self.C, len(self.scales))
        row = Row(lay, 1)
        tgt, inp = self.corrected(split, i)
        self.mark_image(row, p0 - 1, 0, tgt)
        row.inp.append(inp)
        return row

    def cap(self, split, i):
        words = self.words(self.data[split]["captions"][i])
        lay = caption_layout(self.vocab, words, self.scales, self.C)
        row = Row(lay, 1)
        start = len(lay) - len(words) - 2  # position of <eoi>
        row.tgt[start:start + len(words) + 1] = words + [self.vocab.eos]
        row.wt[start:start + len(words) + 1] = 1.0 / (len(words) + 1)
        codes, _ = self.codes(split, i)
        row.inp.append(codes[: self.n_codes])
        return row

    def _chat(self, turns):
        """turns: list of (role, parts). Builds the layout; returns (Row, assistant-turn spans, bois)."""
        v = self.vocab
        parts, roles = [], []
        for role, ps in turns:
            parts.append(("tokens", [v.user if role == "user" else v.assistant]))
            parts.extend(ps)
            if role == "assistant":
                parts.append(("tokens", [v.eos]))
        lay, bois = chat_layout(v, parts, self.scales, self.C)
        return Row(lay, len(bois)), bois

    def _turn_marks(self, row):
        """(index of <user>, index of <assistant>, index of the turn's <eos>) per exchange, in order."""
        ids = row.lay.ids
        users = [p for p, t in enumerate(ids) if t == self.vocab.user and row.lay.scale[p] == -1]
        assts = [p for p, t in enumerate(ids) if t == self.vocab.assistant and row.lay.scale[p] == -1]
        eoss = [p for p, t in enumerate(ids) if t == self.vocab.eos and row.lay.scale[p] == -1]
        return list(zip(users, assts, eoss))

    def chat_cap(self, split, i):
        questions = chat.QUESTIONS + chat.FOLLOW_UPS
        q = questions[self.rng.integers(len(questions))]
        answer = self.words(self.data[split]["captions"][i])
        row, _ = self._chat([("user", [("image", len(self.scales)), ("tokens", self.vocab.encode(q))]),
                             ("assistant", [("tokens", answer)])])
        (u, a, e), = self._turn_marks(row)
        self.mark_answer(row, a, e)
        codes, _ = self.codes(split, i)
        row.inp.append(codes[: self.n_codes])
        return row

    def _draw_turn(self, caption):
        verb = chat.DRAW_VERBS[self.rng.integers(len(chat.DRAW_VERBS))]
        return [("user", [("tokens", self.words(verb + " " + caption))]), ("assistant", self._image_reply(chat.DRAW_REPLY))]

    def _image_reply(self, texts):
        before, after = texts
        return [("tokens", self.vocab.encode(before)), ("image", len(self.scales)), ("tokens", self.vocab.encode(after))]

    def _mark_image_turns(self, row, bois, images):
        for k, ((u, a, e), boi, (tgt, inp)) in enumerate(zip(self._turn_marks(row), bois, images)):
            self.drop_prompt(row, u + 1, a)
            self.mark_answer(row, a, e)
            self.mark_image(row, boi, k, tgt)
            row.inp.append(inp)

    def chat_draw(self, split, i):
        row, bois = self._chat(self._draw_turn(self.data[split]["captions"][i]))
        self._mark_image_turns(row, bois, [self.corrected(split, i)])
        return row

    def chat_edit(self, split, i):
        d = self.data[split]
        edit = chat.EDIT_TEMPLATE.format(color=d["new_colors"][i])
        turns = self._draw_turn(d["captions"][i]) + [
            ("user", [("tokens", self.words(edit))]), ("assistant", self._image_reply(chat.EDIT_REPLY))]
        row, bois = self._chat(turns)
        self._mark_image_turns(row, bois, [self.corrected(split, i), self.corrected(split, i, after=True)])
        return row

    # ---- conversations (convo.py) ------------------------------------------------------------------------
    def world(self):
        if not hasattr(self, "_world"):
            d = self.data
            self._world = convo.World(d["shapes_train"]["captions"], d["shapes_varied"]["captions"],
                                      d["emoji"]["captions"])
        return self._world

    def convo(self, split, i):
        """A multi-turn conversation (convo.script); split and i are unused: every row is a fresh script."""
        turns = convo.script(self.world(), self.rng)
        S = len(self.scales)
        spec, images = [], []  # images in sequence order: ("input", split, i) or ("target", split, i)
        for t in turns:
            user = []
            if t["attach"] is not None:
                user.append(("image", S))
                images.append(("input", "shapes_varied", t["attach"]))
            user.append(("tokens", self.words(t["user"])))
            reply = []
            for kind, arg in t["reply"]:
                if kind == "text":
                    reply.append(("tokens", self.words(arg)))
                else:
                    reply.append(("image", S))
                    images.append(("target",) + arg)
            spec += [("user", user), ("assistant", reply)]
        row, bois = self._chat(spec)
        for (u, a, e), t in zip(self._turn_marks(row), turns):
            if any(kind == "image" for kind, _ in t["reply"]):
                self.drop_prompt(row, u + 1, a)
            self.mark_answer(row, a, e)
        for k, ((role, sp, idx), boi) in enumerate(zip(images, bois)):
            if role == "target":
                tgt, inp = self.corrected(sp, idx)
                self.mark_image(row, boi, k, tgt)
                row.inp.append(inp)
            else:
                row.inp.append(self.codes(sp, idx)[0][: self.n_codes])
        return row
