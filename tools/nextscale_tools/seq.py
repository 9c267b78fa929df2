"""Sequence layouts shared by training, generation and goldens (documented in docs/model-format.md).

Text-to-image:  <bos> w1..wn <boi> [block s=1] ... [block s=S-1]
Captioning:     <bos> <boi> [block s=1] ... [block s=S-1] [closing block] <eoi> w1..wn <eos>
Chat:           <bos> <user> [<boi> blocks closing <eoi>] w.. <assistant> (w.. | <boi> blocks closing <eoi>) <eos> ...
Block s (1 <= s <= S-1) holds bicubic(E[codes of scale s-1]) on the h_s grid: what predicts scale s. A whole image
(one being read, or a generated one once its last scale is drawn) also gets a closing block: E[codes of scale S-1]
on the G x G grid, marked with scale id 0 and RoPE time p0 + S, so later tokens (a caption, the next chat turn)
see every code of it. Without it, the finest scale, which carries the shapes' outlines, is never an input.
Each token is described by: ids, scale (-1 = embedded token, s>=1 = image block s, 0 = closing block),
pos (3D RoPE position), group (block-causal mask: k visible to q iff group[k] <= group[q]) and slot (index of its
block-input feature among all block cells, -1 for embedded tokens).
Per image, the input codes are all sum_s h_s^2 codes (coarse to fine) and the block cells are
n_cells = sum_{s>=1} h_s^2 + G^2 (blocks 1..S-1, then the closing block).
"""
import numpy as np
import torch
import torch.nn.functional as F

PAD_GROUP = 1 << 30


def image_span(scales, range_c, closing=True):
    """RoPE distance from an image's first block (p0) to the text after it: past the closing block's time p0 + S
    (past the last block's p0 + S - 1 for a model without closing blocks)."""
    return max(range_c, len(scales) + 1 if closing else len(scales))


def cells_per_image(scales, closing=True):
    """Block cells of one whole image: blocks 1..S-1 and the closing block (when the model has one)."""
    return sum(h * h for h in scales[1:]) + (scales[-1] ** 2 if closing else 0)


def closing_block(lay, scales, p0, range_c, slot0):
    G = scales[-1]
    lay.block(len(scales), G, G, p0, range_c, slot0, scale_id=0)


class Layout:
    def __init__(self):
        self.ids, self.scale, self.pos, self.group, self.slot = [], [], [], [], []

    def text(self, tok, t):
        self.ids.append(tok); self.scale.append(-1); self.pos.append((t, t, t))
        self.group.append(len(self.group) and self.group[-1] + 1); self.slot.append(-1)

    def block(self, s, h, w, p0, range_c, slot0, scale_id=None):
        """Image block at RoPE time p0 + s; scale_id (default s) is its scale-embedding row."""
        g = (self.group[-1] + 1) if self.group else 0
        for i in range(h):
            for j in range(w):
                self.ids.append(0); self.scale.append(s if scale_id is None else scale_id)
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


def caption_layout(vocab, word_ids, scales, range_c, with_eos=True, closing=True):
    """Full captioning sequence (or its prefix when word_ids is partial and with_eos is False).
    closing: the model's image.feed_back_finest (whole images get a closing block)."""
    lay = Layout()
    lay.text(vocab.bos, 0)
    lay.text(vocab.boi, 1)
    p0 = 2
    slot = 0
    for s in range(1, len(scales)):
        lay.block(s, scales[s], scales[s], p0, range_c, slot)
        slot += scales[s] ** 2
    if closing:
        closing_block(lay, scales, p0, range_c, slot)
    t = p0 + image_span(scales, range_c, closing)  # first token after an image
    for tok in [vocab.eoi] + list(word_ids) + ([vocab.eos] if with_eos else []):
        lay.text(tok, t)
        t += 1
    return lay


def chat_layout(vocab, parts, scales, range_c, closing=True):
    """Chat sequence: <bos> then parts, each ("tokens", [ids]) or ("image", k) with k of the S scales known.
    An image is <boi>, its blocks 1..min(k, S-1) (block s predicts scale s) and, when whole (k = S), its closing
    block and <eoi>. Image k's block slots start at k * cells_per_image, and its input codes are
    in_codes[k * n_codes:(k + 1) * n_codes]. Positions follow caption_layout: the blocks start right after <boi>,
    and text resumes image_span later. closing=False (a model without image.feed_back_finest) leaves out closing
    blocks. Returns (Layout, [index of each <boi>])."""
    lay = Layout()
    lay.text(vocab.bos, 0)
    t, bois = 1, []
    n_cells = cells_per_image(scales, closing)
    for kind, arg in parts:
        if kind == "tokens":
            for tok in arg:
                lay.text(tok, t)
                t += 1
            continue
        slot = len(bois) * n_cells
        bois.append(len(lay))
        lay.text(vocab.boi, t)
        p0 = t + 1
        for s in range(1, min(arg, len(scales) - 1) + 1):
            lay.block(s, scales[s], scales[s], p0, range_c, slot)
            slot += scales[s] ** 2
        t = p0 + image_span(scales, range_c, closing)
        if arg == len(scales):
            if closing:
                closing_block(lay, scales, p0, range_c, slot)
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


def block_upsample_matrix(scales, closing=True):
    """[cells_per_image, sum_s h_s^2] matrix M: block-input features = M @ E[codes of all scales].
    Row block s holds bicubic_upsample(h_{s-1} -> h_s) (align_corners=False) applied to one-hot maps; the last
    G^2 rows (the closing block; absent when closing is False) copy the codes of scale S-1."""
    n_in = sum(s * s for s in scales)
    n_out = cells_per_image(scales, closing)
    M = torch.zeros(n_out, n_in)
    r0 = c0 = 0
    for s_prev, s in zip(scales[:-1], scales[1:]):
        basis = torch.eye(s_prev * s_prev).view(-1, 1, s_prev, s_prev)
        up = F.interpolate(basis, size=(s, s), mode="bicubic", align_corners=False).view(s_prev * s_prev, s * s)
        M[r0:r0 + s * s, c0:c0 + s_prev * s_prev] = up.t()
        r0 += s * s
        c0 += s_prev * s_prev
    if closing:
        M[r0:, c0:] = torch.eye(scales[-1] ** 2)
    return M


def gather_block_feats(M, codebook_KC, in_codes_BN, slot_BL):
    """Block-input feature for every position: [B, L, C] (zeros where slot = -1). in_codes_BN may hold several
    images back to back (N = images * n_codes); image k's features then sit at slots k * cells_per_image on."""
    B, N = in_codes_BN.shape
    n_out, n_in = M.shape
    emb = codebook_KC[in_codes_BN].view(B, N // n_in, n_in, -1)
    feats_BNC = (M @ emb).view(B, (N // n_in) * n_out, -1)
    idx = slot_BL.clamp(min=0)[..., None].expand(-1, -1, feats_BNC.shape[-1])
    out = torch.gather(feats_BNC, 1, idx)
    return out * (slot_BL >= 0)[..., None].to(out.dtype)
