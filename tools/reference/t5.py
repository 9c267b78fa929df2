"""The T5 v1.1 encoder (flan-t5-xl is one: 24 layers, d_model 2048, 32 heads of 64, gated-GELU FFN of 5120), for
parity goldens. Written from the model's definition; tools/t5_hf_check.py checks it against Hugging Face's
T5EncoderModel. State-dict keys equal the hub's (`shared.weight`, `encoder.block.{i}.layer.{0,1}.…`,
`encoder.final_layer_norm.weight`).

  embedding (no scaling) → per block: x += o(attn(RMSNorm(x))) with no 1/√d scaling and a relative position
  bias (a [buckets, heads] table in block 0 only, shared by every block; the padding mask added to it);
  x += wo(gelu_tanh(wi_0(RMSNorm(x))) · wi_1(RMSNorm(x))) → final RMSNorm. RMSNorm: no mean, no bias, eps 1e-6,
  its variance in f32.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


def relative_buckets(rel, num_buckets=32, max_distance=128):
    """Bidirectional T5 buckets of relative positions (memory − query): half the buckets for each sign; exact
    up to num_buckets/4, then logarithmic up to max_distance (and saturated past it)."""
    nb = num_buckets // 2
    out = (rel > 0).long() * nb
    n = rel.abs()
    exact = nb // 2
    small = n < exact
    large = exact + (torch.log(n.float() / exact) / math.log(max_distance / exact) * (nb - exact)).long()
    large = torch.minimum(large, torch.full_like(large, nb - 1))
    return out + torch.where(small, n, large)


def position_bias(table, L, num_buckets=32, max_distance=128):
    """[1, H, L, L] from table [buckets, H]."""
    pos = torch.arange(L)
    b = relative_buckets(pos[None, :] - pos[:, None], num_buckets, max_distance)
    return table[b].permute(2, 0, 1)[None]


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        var = x.float().pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


class Attention(nn.Module):
    def __init__(self, d, heads, d_kv, has_bias, buckets):
        super().__init__()
        inner = heads * d_kv
        self.heads, self.d_kv = heads, d_kv
        self.q, self.k, self.v = (nn.Linear(d, inner, bias=False) for _ in range(3))
        self.o = nn.Linear(inner, d, bias=False)
        if has_bias:
            self.relative_attention_bias = nn.Embedding(buckets, heads)


class Layer0(nn.Module):
    def __init__(self, d, heads, d_kv, has_bias, buckets):
        super().__init__()
        self.SelfAttention = Attention(d, heads, d_kv, has_bias, buckets)
        self.layer_norm = RMSNorm(d)


class DenseGated(nn.Module):
    def __init__(self, d, d_ff):
        super().__init__()
        self.wi_0, self.wi_1 = nn.Linear(d, d_ff, bias=False), nn.Linear(d, d_ff, bias=False)
        self.wo = nn.Linear(d_ff, d, bias=False)


class Layer1(nn.Module):
    def __init__(self, d, d_ff):
        super().__init__()
        self.DenseReluDense = DenseGated(d, d_ff)
        self.layer_norm = RMSNorm(d)


class Block(nn.Module):
    def __init__(self, d, heads, d_kv, d_ff, first, buckets):
        super().__init__()
        self.layer = nn.ModuleList([Layer0(d, heads, d_kv, first, buckets), Layer1(d, d_ff)])


class Encoder(nn.Module):
    def __init__(self, layers, d, heads, d_kv, d_ff, buckets):
        super().__init__()
        self.block = nn.ModuleList(Block(d, heads, d_kv, d_ff, i == 0, buckets) for i in range(layers))
        self.final_layer_norm = RMSNorm(d)


class T5Encoder(nn.Module):
    def __init__(self, vocab=100, d_model=64, d_kv=16, d_ff=128, num_layers=3, num_heads=4, buckets=32, max_distance=128):
        super().__init__()
        self.cfg = dict(vocab_size=vocab, d_model=d_model, d_kv=d_kv, d_ff=d_ff, num_layers=num_layers, num_heads=num_heads,
                        relative_attention_num_buckets=buckets, relative_attention_max_distance=max_distance)
        self.shared = nn.Embedding(vocab, d_model)
        self.encoder = Encoder(num_layers, d_model, num_heads, d_kv, d_ff, buckets)

    @torch.no_grad()
    def forward(self, ids, mask=None):
        """ids [B, L] (long), mask [B, L] (1 = token, 0 = padding) → last_hidden_state [B, L, d_model]."""
        c = self.cfg
        B, L = ids.shape
        H, dk = c["num_heads"], c["d_kv"]
        x = self.shared(ids)
        blocks = self.encoder.block
        bias = position_bias(blocks[0].layer[0].SelfAttention.relative_attention_bias.weight, L, c["relative_attention_num_buckets"], c["relative_attention_max_distance"])
        if mask is not None:
            bias = bias + (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for blk in blocks:
            a = blk.layer[0]
            h = a.layer_norm(x)
            at = a.SelfAttention
            q, k, v = (m(h).view(B, L, H, dk).transpose(1, 2) for m in (at.q, at.k, at.v))
            w = torch.softmax((q @ k.transpose(-1, -2) + bias).float(), -1)
            x = x + at.o((w @ v).transpose(1, 2).reshape(B, L, H * dk))
            f = blk.layer[1]
            h = f.layer_norm(x)
            d = f.DenseReluDense
            x = x + d.wo(F.gelu(d.wi_0(h), approximate="tanh") * d.wi_1(h))
        return self.encoder.final_layer_norm(x)


def randomize_(model, seed):
    """Non-trivial values: norm weights around 1 (not all 1), a position-bias table of ±1, matrices by fan-in."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("relative_attention_bias.weight"):
                p.copy_(torch.randn(p.shape, generator=g))
            elif name == "shared.weight":
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
    return model
