"""Infinity (FoundationVision/Infinity, bitwise next-scale text-to-image), re-implemented for parity goldens.

Written from the official code's behaviour at inference (infinity/models/infinity.py, basic.py,
bsq_vae/, utils/dynamic_resolution.py) as released runs use it: shared AdaLN, the fused-norm path
(RoPE positions keep running across scales), the level embedding added once before the first block,
bit labels, CFG on logits (cfg_insertion_layer 0), RoPE mode 2 (positions snapped to the grid of the
aspect ratio's largest schedule). tools/infinity_official_check.py checks it against the official code.

State-dict keys equal the official ones: blocks under block_chunks.{c}.module.{j}; the BSQ VAE's
decoder as decoder.* with Conv/Normalize wrappers (x.conv.weight, x.norm.weight).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

NORM_EPS = 1e-6
ROPE_BASE = 10000.0
ROPE_MAX = 2048 // 16  # the official RoPE table is 128×128 positions
LVL_EMBEDS = 15

# utils/dynamic_resolution.py: h/w ratio → (h, w) of each of the 13 scales of its largest (1M) schedule.
RATIO_SCALES = {
    1.000: [(1, 1), (2, 2), (4, 4), (6, 6), (8, 8), (12, 12), (16, 16), (20, 20), (24, 24), (32, 32), (40, 40), (48, 48), (64, 64)],
    1.250: [(1, 1), (2, 2), (3, 3), (5, 4), (10, 8), (15, 12), (20, 16), (25, 20), (30, 24), (35, 28), (45, 36), (55, 44), (70, 56)],
    1.333: [(1, 1), (2, 2), (4, 3), (8, 6), (12, 9), (16, 12), (20, 15), (24, 18), (28, 21), (36, 27), (48, 36), (60, 45), (72, 54)],
    1.500: [(1, 1), (2, 2), (3, 2), (6, 4), (9, 6), (15, 10), (21, 14), (27, 18), (33, 22), (39, 26), (48, 32), (63, 42), (78, 52)],
    1.750: [(1, 1), (2, 2), (3, 3), (7, 4), (11, 6), (14, 8), (21, 12), (28, 16), (35, 20), (42, 24), (56, 32), (70, 40), (84, 48)],
    2.000: [(1, 1), (2, 2), (4, 2), (6, 3), (10, 5), (16, 8), (22, 11), (30, 15), (38, 19), (46, 23), (60, 30), (74, 37), (90, 45)],
    2.500: [(1, 1), (2, 2), (5, 2), (10, 4), (15, 6), (20, 8), (25, 10), (30, 12), (40, 16), (50, 20), (65, 26), (80, 32), (100, 40)],
    3.000: [(1, 1), (2, 2), (6, 2), (9, 3), (15, 5), (21, 7), (27, 9), (36, 12), (45, 15), (54, 18), (72, 24), (90, 30), (111, 37)],
}
# Scales per total-pixel class: 0.06M = 256² at 1:1, 0.25M = 512², 0.60M, 1M = 1024².
PN_SCALES = {"0.06M": 7, "0.25M": 10, "0.60M": 12, "1M": 13}


def ratio_table():
    """Every h/w template: the ratios above and their inverses (w/h, truncated to 3 decimals as official)."""
    out = {}
    for r, hw in RATIO_SCALES.items():
        out[r] = hw
        if r != 1.0:
            out[int(1 / r * 1000) / 1000] = [(w, h) for h, w in hw]
    return out


def schedule(h_div_w=1.0, pn="0.06M"):
    """[(h, w)] of the scales for a ratio template and a pixel class, and the largest schedule's last (h, w)."""
    table = ratio_table()
    key = min(table, key=lambda r: abs(r - h_div_w))
    full = table[key]
    return full[: PN_SCALES[pn]], full[-1]


def rope_positions(scales, full_last):
    """(row, col) of each token of the whole sequence on the largest schedule's grid: round(i·H/h),
    computed as the official code does (float32 product, round half to even)."""
    uph, upw = full_last
    rows = []
    for h, w in scales:
        r = torch.round(torch.arange(h) * (uph / h)).long()
        c = torch.round(torch.arange(w) * (upw / w)).long()
        rows.append(torch.stack([r[:, None].expand(h, w), c[None, :].expand(h, w)], -1).reshape(-1, 2))
    return torch.cat(rows)


def rope_tables(head_dim, positions):
    """cos, sin [L, head_dim/2]: the first half of the pairs rotate by the row, the second by the column."""
    half = head_dim // 2
    inv = 1.0 / (ROPE_BASE ** (torch.arange(0, half, 2, dtype=torch.int64).float() / half))
    ang = torch.cat([positions[:, :1].float() * inv, positions[:, 1:].float() * inv], -1)
    return torch.cos(ang), torch.sin(ang)


def apply_rope(t, cos, sin):
    """t [B, H, L, hd], interleaved pairs (2i, 2i+1) rotated by angle i."""
    a, b = t[..., 0::2], t[..., 1::2]
    return torch.stack([cos * a - sin * b, sin * a + cos * b], -1).flatten(-2)


def layer_norm(x):
    return F.layer_norm(x, x.shape[-1:], eps=NORM_EPS)


class SelfAttention(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.scale_mul_1H11 = nn.Parameter(torch.full((1, heads, 1, 1), math.log(4.0)))
        self.mat_qkv = nn.Linear(c, 3 * c, bias=False)
        self.q_bias, self.v_bias = nn.Parameter(torch.zeros(c)), nn.Parameter(torch.zeros(c))
        self.register_buffer("zero_k_bias", torch.zeros(c))
        self.proj = nn.Linear(c, c)

    def forward(self, x, cache, cos, sin):
        b, n, c = x.shape
        bias = torch.cat([self.q_bias, self.zero_k_bias, self.v_bias])
        q, k, v = F.linear(x, self.mat_qkv.weight, bias).view(b, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        scale = self.scale_mul_1H11.clamp_max(math.log(100)).exp()
        q = apply_rope(F.normalize(q, dim=-1, eps=1e-12) * scale, cos, sin)
        k = apply_rope(F.normalize(k, dim=-1, eps=1e-12), cos, sin)
        if "k" in cache:
            k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
        cache["k"], cache["v"] = k, v
        o = torch.softmax(q @ k.transpose(-1, -2), -1) @ v  # scale 1: q and k are already normalised
        return self.proj(o.transpose(1, 2).reshape(b, n, c))


class CrossAttention(nn.Module):
    """Attention of x (or, for the pool, `mat_q` learned queries) over one prompt's text memory."""

    def __init__(self, c, kv_dim, heads, pool=False):
        super().__init__()
        self.heads, self.head_dim, self.pool = heads, c // heads, pool
        if pool:
            self.mat_q = nn.Parameter(torch.randn(1, heads, c // heads) * math.sqrt(1 / c / 3))
        else:
            self.mat_q = nn.Linear(c, c)
        self.mat_kv = nn.Linear(kv_dim, 2 * c, bias=False)
        self.v_bias = nn.Parameter(torch.zeros(c))
        self.register_buffer("zero_k_bias", torch.zeros(c))
        self.proj = nn.Linear(c, c)

    def forward(self, x, mem):
        """x [B, n, C] (None for the pool), mem [B, Lt, kv_dim] (every row of a batch has the same length)."""
        b, lt = mem.shape[:2]
        k, v = F.linear(mem, self.mat_kv.weight, torch.cat([self.zero_k_bias, self.v_bias])).view(b, lt, 2, self.heads, -1).permute(2, 0, 3, 1, 4)
        q = self.mat_q.expand(b, -1, -1).unsqueeze(2) if self.pool else self.mat_q(x).view(b, x.shape[1], self.heads, -1).transpose(1, 2)
        o = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.head_dim), -1) @ v
        return self.proj(o.transpose(1, 2).reshape(b, q.shape[2], -1))


class FFN(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(c, hidden), nn.Linear(hidden, c)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, c, heads, hidden):
        super().__init__()
        self.sa = SelfAttention(c, heads)
        self.ca = CrossAttention(c, c, heads)
        self.ffn = FFN(c, hidden)
        self.ca_norm = nn.LayerNorm(c, eps=NORM_EPS)
        self.ada_gss = nn.Parameter(torch.randn(1, 1, 6, c) / c**0.5)

    def forward(self, x, gss, mem, cache, cos, sin):
        g1, g2, s1, s2, b1, b2 = (self.ada_gss + gss).unbind(2)
        x = x + self.sa(layer_norm(x) * (1 + s1) + b1, cache, cos, sin) * g1
        x = x + self.ca(self.ca_norm(x), mem)
        return x + self.ffn(layer_norm(x) * (1 + s2) + b2) * g2


class Chunk(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.module = nn.ModuleList(blocks)


class RMSNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS) * self.weight


class Pool(nn.Module):
    """text_proj_for_sos: attention pooling with head dim 128 (64 past 4096 wide), as official."""

    def __init__(self, ct5, c):
        super().__init__()
        self.ca = CrossAttention(c, ct5, ct5 // (64 if c > 4096 else 128), pool=True)

    def forward(self, mem):
        return self.ca(None, mem).squeeze(1)


class Infinity(nn.Module):
    def __init__(self, depth=2, c=64, heads=4, d=32, ct5=256, text_maxlen=512, chunks=2, hidden=None):
        super().__init__()
        self.C, self.d, self.heads = c, d, heads
        cfg_uncond = torch.empty(text_maxlen, ct5)
        nn.init.trunc_normal_(cfg_uncond, std=1.2)
        self.cfg_uncond = nn.Parameter(cfg_uncond / ct5**0.5)
        self.text_norm = RMSNorm(ct5)
        self.text_proj_for_sos = Pool(ct5, c)
        self.text_proj_for_ca = nn.Sequential(nn.Linear(ct5, c), nn.GELU(approximate="tanh"), nn.Linear(c, c))
        self.pos_start = nn.Parameter(torch.randn(1, 1, c) * math.sqrt(1 / c / 3))
        self.lvl_embed = nn.Embedding(LVL_EMBEDS, c)
        self.word_embed = nn.Linear(d, c)
        self.shared_ada_lin = nn.Sequential(nn.SiLU(), nn.Linear(c, 6 * c))
        hidden = hidden or round(c * 4 / 256) * 256 or 4 * c
        per = depth // chunks
        blocks = [Block(c, heads, hidden) for _ in range(depth)]
        self.block_chunks = nn.ModuleList(Chunk(blocks[i * per:(i + 1) * per]) for i in range(chunks))
        self.head_nm = nn.Module()
        self.head_nm.ada_lin = nn.Sequential(nn.SiLU(), nn.Linear(c, 2 * c))
        self.head = nn.Linear(c, 2 * d)

    def blocks(self):
        return [b for ch in self.block_chunks for b in ch.module]

    def text_condition(self, feats, cfg):
        """feats [Lt, ct5] → (mem [B, Lt, C], cond [B, C]), B = 2 with the learned negative cfg_uncond[:Lt] when cfg != 1."""
        lt = feats.shape[0]
        rows = torch.stack([feats, self.cfg_uncond[:lt]]) if cfg != 1 else feats[None]
        kv = self.text_norm(rows)
        return self.text_proj_for_ca(kv), self.text_proj_for_sos(kv)

    def logits(self, x, cond):
        scale, shift = self.head_nm.ada_lin(cond).view(-1, 1, 2, self.C).unbind(2)
        return self.head(layer_norm(x) * (1 + scale) + shift)


def bits_to_codes(bits, d):
    """bit 1 → +1/√d, bit 0 → −1/√d (BSQ codes after the l2 norm)."""
    return (bits.float() * 2 - 1) / math.sqrt(d)


def resize(x, hw):
    """Bilinear, align_corners False, no antialias (the official trilinear with T = 1)."""
    return x if tuple(x.shape[-2:]) == tuple(hw) else F.interpolate(x, size=hw, mode="bilinear", align_corners=False)


def sample_bits(logits, top_k, top_p, gen):
    """logits [n, 2] of n independent bits (already /τ and guided) → bits [n], as the official sampler."""
    if top_k == 1:
        return (logits[:, 1] > logits[:, 0]).long()  # argmax; a tie keeps bit 0, as topk's first index
    logits = logits.clone()
    if top_p > 0:
        s, idx = logits.sort(-1)
        drop = s.softmax(-1).cumsum(-1) <= (1 - top_p)
        drop[..., -1:] = False
        logits.masked_fill_(drop.scatter(1, idx, drop), -torch.inf)
    return torch.multinomial(logits.softmax(-1), 1, generator=gen)[:, 0]


@torch.no_grad()
def infer(model, feats, scales, full_last, cfg=3.0, tau=0.5, top_k=0, top_p=0.0, seed=0, forced_bits=None, capture_rows=4):
    """One image. scales [(h, w)]; feats [Lt, ct5]. forced_bits: per scale [h·w, d] bits fed back instead of
    sampling (teacher forcing). Returns bits per scale, raw cond/uncond logits of the first rows, the next
    scale inputs (tokens [h'w', d]), f̂ [d, H, W] and the decoded-image-ready f̂."""
    gen = torch.Generator().manual_seed(seed)
    d, C = model.d, model.C
    mem, cond = model.text_condition(feats, cfg)
    B = mem.shape[0]
    gss = model.shared_ada_lin[1](F.silu(cond)).view(B, 1, 6, C)
    cos, sin = rope_tables(C // model.heads, rope_positions(scales, full_last))
    caches = [{} for _ in model.blocks()]
    H, W = scales[-1]
    fhat = torch.zeros(1, d, H, W)
    x = cond.unsqueeze(1) + model.pos_start
    out = {"bits": [], "logits_cond": [], "logits_uncond": [], "next_inputs": [], "ties": []}
    start = 0
    for si, (h, w) in enumerate(scales):
        n = h * w
        x = x + model.lvl_embed.weight[si]
        cs, sn = cos[start:start + n], sin[start:start + n]
        for blk, cache in zip(model.blocks(), caches):
            x = blk(x, gss, mem, cache, cs, sn)
        logits = model.logits(x, cond)  # [B, n, 2d]
        rows = min(capture_rows, n)
        out["logits_cond"].append(logits[0, :rows].clone())
        out["logits_uncond"].append(logits[1, :rows].clone() if B == 2 else None)
        g = logits / tau
        g = cfg * g[0] + (1 - cfg) * g[1] if B == 2 else g[0]
        pairs = g.reshape(n, d, 2)
        out["ties"].append((pairs[..., 1] - pairs[..., 0]).abs() <= 1e-3 * g.abs().max())  # near ties: greedy may differ
        if forced_bits is not None:
            bits = forced_bits[si].long()
        else:
            bits = sample_bits(g.reshape(n * d, 2), top_k, top_p, gen).view(n, d)
        out["bits"].append(bits)
        codes = bits_to_codes(bits, d).T.reshape(1, d, h, w)
        fhat = fhat + resize(codes, (H, W))
        if si < len(scales) - 1:
            nxt = resize(fhat, scales[si + 1])  # [1, d, h', w']
            tokens = nxt.flatten(2)[0].T  # [h'w', d]
            out["next_inputs"].append(tokens)
            x = model.word_embed(tokens).unsqueeze(0).expand(B, -1, -1)
        start += n
    out["fhat"] = fhat[0]
    return out


# ---- BSQ VAE decoder (bsq_vae/flux_vqgan.py Decoder; no attention, GroupNorm 32, swish, nearest ×2) ----

class Conv(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2)

    def forward(self, x):
        return self.conv(x)


class Norm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = nn.GroupNorm(32, c, eps=1e-6)

    def forward(self, x):
        return self.norm(x)


class Res(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1, self.conv1 = Norm(cin), Conv(cin, cout, 3)
        self.norm2, self.conv2 = Norm(cout), Conv(cout, cout, 3)
        if cin != cout:
            self.nin_shortcut = Conv(cin, cout, 1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.nin_shortcut(x) if hasattr(self, "nin_shortcut") else x) + h


class Decoder(nn.Module):
    def __init__(self, ch=32, ch_mult=(1, 2, 4, 4, 4), num_res_blocks=2, z=32):
        super().__init__()
        cin = ch * ch_mult[-1]
        self.conv_in = Conv(z, cin, 3)
        self.mid = nn.Module()
        self.mid.block_1, self.mid.block_2 = Res(cin, cin), Res(cin, cin)
        ups = []
        for i in reversed(range(len(ch_mult))):
            up = nn.Module()
            blocks = []
            for _ in range(num_res_blocks + 1):
                blocks.append(Res(cin, ch * ch_mult[i]))
                cin = ch * ch_mult[i]
            up.block = nn.ModuleList(blocks)
            if i >= 1:
                up.upsample = nn.Module()
                up.upsample.conv = Conv(cin, cin, 3)
            ups.insert(0, up)
        self.up = nn.ModuleList(ups)
        self.norm_out, self.conv_out = Norm(cin), Conv(cin, 3, 3)

    def forward(self, z):
        h = self.mid.block_2(self.mid.block_1(self.conv_in(z)))
        for up in reversed(self.up):
            for b in up.block:
                h = b(h)
            if hasattr(up, "upsample"):
                h = up.upsample.conv(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h))).clamp(-1, 1)


class BsqVae(nn.Module):
    """The decoding half of the BSQ VAE with the quantizer's buffers (official key names)."""

    def __init__(self, ch=32, z=32):
        super().__init__()
        self.decoder = Decoder(ch, z=z)
        for q in ("quantizer", "quantize"):  # the official module registers the quantizer under both names
            m = nn.Module()
            m.lfq = nn.Module()
            m.lfq.register_buffer("mask", 2 ** torch.arange(z - 1, -1, -1))
            setattr(self, q, m)


def randomize_(module, seed):
    """Deterministic, non-trivial values for every parameter (norm weights not 1, biases not 0)."""
    g = torch.Generator().manual_seed(seed)
    for name, p in module.named_parameters():
        with torch.no_grad():
            if name.endswith("scale_mul_1H11"):  # attention logit scales near their init, ln 4
                p.copy_(math.log(4.0) + 0.3 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1 and name.endswith("weight"):  # norm weights: not all 1
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
            else:
                fan_in = int(np.prod(p.shape[1:]))
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(max(fan_in, 1)))
    return module
