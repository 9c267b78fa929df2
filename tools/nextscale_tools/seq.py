"""Sequence layouts shared by training, generation and goldens (documented in docs/model-format.md).

Text-to-image:  <bos> w1..wn <boi> [block s=1] ... [block s=S-1]
Captioning:     <bos> <boi> [block s=1] ... [block s=S-1] <eoi> w1..wn <eos>
Chat:           <bos> <user> [<boi> blocks <eoi>] w.. <assistant> (w.. | <boi> blocks <eoi>) <eos> <user> ...
Each token is described by: ids, scale (-1 = embedded token, s>=1 = image block s), pos (3D RoPE position),
group (block-causal mask: k visible to q iff group[k] <= group[q]) and slot (index of its block-input
feature among all block cells, -1 for embedded tokens).
"""
import numpy as np
import torch
import torch.nn.functional as F

PAD_GROUP = 1 << 30


class Layout:
    def __init__(self):
        self.ids, self.scale, self.pos, self.group, self.slot = [], [], [], [], []

    def text(self, tok, t):
        self.ids.append(tok); self.scale.append(-1); self.pos.append((t, t, t))
        self.group.append(len(self.group) and self.group[-1] + 1); self.slot.append(-1)

    def block(self, s, h, w, p0, range_c, slot0):
        g = (self.group[-1] + 1) if self.group else 0
        for i in range(h):
            for j in range(w):
                self.ids.append(0); self.scale.append(s)
                self.pos.append((p0 + range_c * (i + 0.5) / h, p0 + range_c * (j + 0.5) / w, p0 + s))
                self.group.append(g); self.slot.append(slot0 + i * w + j)

    def __len__(self):
        return len(self.ids)


def t2i_layout(vocab, word_ids, scales, range_c, upto):
    """Prefix + image blocks 1..upto-1 (upto=S gives the full training sequence). Returns (Layout, p0)."""
    lay = Layout()
    for t, tok in enumerate([vocab.bos] + list(word_ids) + [vocab.boi]):
        lay.text(tok, t)
    p0 = len(lay)
    slot = 0
    for s in range(1, upto):
        lay.block(s, scales[s], scales[s], p0, range_c, slot)
        slot += scales[s] ** 2
    return lay, p0


def caption_layout(vocab, word_ids, scales, range_c, with_eos=True):
    """Full captioning sequence (or its prefix when word_ids is partial and with_eos is False)."""
    lay = Layout()
    lay.text(vocab.bos, 0)
    lay.text(vocab.boi, 1)
    p0 = 2
    slot = 0
    for s in range(1, len(scales)):
        lay.block(s, scales[s], scales[s], p0, range_c, slot)
        slot += scales[s] ** 2
    t = p0 + max(range_c, len(scales))  # first token after an image block
    for tok in [vocab.eoi] + list(word_ids) + ([vocab.eos] if with_eos else []):
        lay.text(tok, t)
        t += 1
    return lay


def chat_layout(vocab, parts, scales, range_c):
    """Chat sequence: <bos> then parts, each ("tokens", [ids]) or ("image", k) with k of the S scales known.
    An image is <boi>, its blocks 1..min(k, S-1) (block s predicts scale s) and, when whole (k = S), <eoi>. Image k's block slots start at k * (cells per image),
    so its input codes are in_codes[k * n_in:(k + 1) * n_in]. Positions follow caption_layout: the blocks
    start right after <boi>, and text resumes max(range_c, S) later. Returns (Layout, [index of each <boi>])."""
    lay = Layout()
    lay.text(vocab.bos, 0)
    t, bois = 1, []
    n_out = sum(h * h for h in scales[1:])
    for kind, arg in parts:
        if kind == "tokens":
            for tok in arg:
                lay.text(tok, t)
                t += 1
            continue
        slot = len(bois) * n_out
        bois.append(len(lay))
        lay.text(vocab.boi, t)
        p0 = t + 1
        for s in range(1, min(arg, len(scales) - 1) + 1):
            lay.block(s, scales[s], scales[s], p0, range_c, slot)
            slot += scales[s] ** 2
        t = p0 + max(range_c, len(scales))
        if arg == len(scales):
            lay.text(vocab.eoi, t)
            t += 1
    return lay, bois


def collate(layouts, pad_id):
    """Right-pad a list of Layouts into tensors (ids, scale, pos, group, slot), all [B, L(, 3)]."""
    L = max(len(x) for x in layouts)
    B = len(layouts)
    ids = np.full((B, L), pad_id, np.int64); scale = np.full((B, L), -1, np.int64)
    pos = np.zeros((B, L, 3), np.float32); group = np.full((B, L), PAD_GROUP, np.int64)
    slot = np.full((B, L), -1, np.int64)
    for b, x in enumerate(layouts):
        n = len(x)
        ids[b, :n] = x.ids; scale[b, :n] = x.scale; pos[b, :n] = x.pos; group[b, :n] = x.group; slot[b, :n] = x.slot
    return tuple(torch.from_numpy(a) for a in (ids, scale, pos, group, slot))


def block_upsample_matrix(scales):
    """[sum_{s>=1} h_s^2, sum_{s<S-1} h_s^2] matrix M: block-input features = M @ E[codes of scales 0..S-2].
    Row block s holds bicubic_upsample(h_{s-1} -> h_s) (align_corners=False) applied to one-hot maps."""
    n_in = sum(s * s for s in scales[:-1])
    n_out = sum(s * s for s in scales[1:])
    M = torch.zeros(n_out, n_in)
    r0 = c0 = 0
    for s_prev, s in zip(scales[:-1], scales[1:]):
        basis = torch.eye(s_prev * s_prev).view(-1, 1, s_prev, s_prev)
        up = F.interpolate(basis, size=(s, s), mode="bicubic", align_corners=False).view(s_prev * s_prev, s * s)
        M[r0:r0 + s * s, c0:c0 + s_prev * s_prev] = up.t()
        r0 += s * s
        c0 += s_prev * s_prev
    return M


def gather_block_feats(M, codebook_KC, in_codes_BN, slot_BL):
    """Block-input feature for every position: [B, L, C] (zeros where slot = -1). in_codes_BN may hold several
    images back to back (N = images * n_in); image k's features then sit at slots k * n_out onwards."""
    B, N = in_codes_BN.shape
    n_out, n_in = M.shape
    emb = codebook_KC[in_codes_BN].view(B, N // n_in, n_in, -1)
    feats_BNC = (M @ emb).view(B, (N // n_in) * n_out, -1)
    idx = slot_BL.clamp(min=0)[..., None].expand(-1, -1, feats_BNC.shape[-1])
    out = torch.gather(feats_BNC, 1, idx)
    return out * (slot_BL >= 0)[..., None].to(out.dtype)
