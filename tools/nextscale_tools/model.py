"""The unified next-scale decoder (NextFlow-style, tiny). docs/model-format.md mirrors this file exactly.

Pre-norm blocks:  h = x + o_proj(attn(rope(q), rope(k), v));  x = h + down(silu(gate(n)) * up(n)), n = RMSNorm(h).
Image-token inputs are img_in(residual codebook feature) + scale_emb[s]; everything else uses embed_tokens.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cos_sin(pos_BL3, head_dim, theta, sections):
    """Multi-scale 3D RoPE tables. Pair j (dims j and j+head_dim/2) uses axis a(j) from `sections`
    and inv_freq_j = theta^(-2j/head_dim) with the global j. Returns cos, sin of shape [B, L, head_dim]."""
    half = head_dim // 2
    j = torch.arange(half, dtype=torch.float32)
    inv_freq_J = theta ** (-2.0 * j / head_dim)
    axis_J = torch.cat([torch.full((n,), a, dtype=torch.long) for a, n in enumerate(sections)])
    ang_BLJ = pos_BL3[..., axis_J] * inv_freq_J
    ang_BLD = torch.cat([ang_BLJ, ang_BLJ], dim=-1)
    return ang_BLD.cos(), ang_BLD.sin()


def apply_rope(x_BHLD, cos_BLD, sin_BLD):
    half = x_BHLD.shape[-1] // 2
    rot = torch.cat([-x_BHLD[..., half:], x_BHLD[..., :half]], dim=-1)  # rotate-half
    return x_BHLD * cos_BLD[:, None] + rot * sin_BLD[:, None]


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, hd = c["dim"], c["head_dim"]
        self.heads, self.kv_heads, self.head_dim = c["heads"], c["kv_heads"], hd
        self.attn_norm = RMSNorm(d, c["rms_eps"])
        self.q_proj = nn.Linear(d, c["heads"] * hd, bias=True)
        self.k_proj = nn.Linear(d, c["kv_heads"] * hd, bias=True)
        self.v_proj = nn.Linear(d, c["kv_heads"] * hd, bias=True)
        self.o_proj = nn.Linear(c["heads"] * hd, d, bias=False)
        self.mlp_norm = RMSNorm(d, c["rms_eps"])
        self.gate_proj = nn.Linear(d, c["ffn"], bias=False)
        self.up_proj = nn.Linear(d, c["ffn"], bias=False)
        self.down_proj = nn.Linear(c["ffn"], d, bias=False)

    def forward(self, x_BLD, cos, sin, bias_B1LL):
        B, L, _ = x_BLD.shape
        n = self.attn_norm(x_BLD)
        q = self.q_proj(n).view(B, L, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(n).view(B, L, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(n).view(B, L, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = self.heads // self.kv_heads  # query head h reads kv head h // rep
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) * (self.head_dim ** -0.5) + bias_B1LL
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, L, self.heads * self.head_dim)
        h = x_BLD + self.o_proj(o)
        n = self.mlp_norm(h)
        return h + self.down_proj(F.silu(self.gate_proj(n)) * self.up_proj(n))


class NextScaleDecoder(nn.Module):
    def __init__(self, c, vocab_size, num_scales, code_dim):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(vocab_size, c["dim"])
        self.img_in = nn.Linear(code_dim, c["dim"], bias=True)
        self.scale_emb = nn.Parameter(torch.zeros(num_scales, c["dim"]))
        self.layers = nn.ModuleList([Block(c) for _ in range(c["layers"])])
        self.norm = RMSNorm(c["dim"], c["rms_eps"])
        self.head = nn.Linear(c["dim"], vocab_size, bias=False)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        nn.init.normal_(self.scale_emb, std=0.02)

    def hidden(self, ids_BL, img_feat_BLC, scale_BL, pos_BL3, group_BL):
        """Final-normed hidden states. scale_BL >= 1 marks image-block tokens (input = img_in(feat) + scale_emb);
        group_BL drives the block-causal mask: key k is visible to query q iff group[k] <= group[q]."""
        tok = self.embed_tokens(ids_BL)
        is_img = (scale_BL >= 0)[..., None]
        img = self.img_in(img_feat_BLC) + self.scale_emb[scale_BL.clamp(min=0)]
        x = torch.where(is_img, img, tok)
        cos, sin = rope_cos_sin(pos_BL3, self.c["head_dim"], self.c["rope_theta"], self.c["rope_sections"])
        allowed = group_BL[:, None, :] <= group_BL[:, :, None]  # [B, Lq, Lk]
        bias = torch.zeros(allowed.shape, dtype=x.dtype).masked_fill(~allowed, float("-inf"))[:, None]
        for layer in self.layers:
            x = layer(x, cos, sin, bias)
        return self.norm(x)

    def forward(self, ids_BL, img_feat_BLC, scale_BL, pos_BL3, group_BL):
        return self.head(self.hidden(ids_BL, img_feat_BLC, scale_BL, pos_BL3, group_BL))
