"""VAR transformer + autoregressive_infer_cfg, re-implemented from /work/shared/VAR_SPEC.md sections 2-3.

Module/parameter names mirror the official ones so state_dict() keys equal the released var_d*.pth.
CLI writes random-init checkpoints shaped like the official files:
  /usr/bin/python3 tools/reference/var.py --depth 16 --out var_d16.pth --vae-out vae_ch160v4096z32.pth
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

if __package__ in (None, ""):  # run as a script: make `reference` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reference.vae import build_vae  # noqa: E402

PATCH_NUMS_256 = (1, 2, 3, 4, 5, 6, 8, 10, 13, 16)
HEAD_DIM = 64
LN_EPS = 1e-6


def size_rule(depth):
    """Official VAR sizing: heads = depth, width = 64·depth, FFN = round(4·C)."""
    c = HEAD_DIM * depth
    return {"dim": c, "heads": depth, "head_dim": HEAD_DIM, "ffn": round(4 * c)}


def layer_norm(x):
    return F.layer_norm(x, x.shape[-1:], eps=LN_EPS)  # LN without affine (official ln_wo_grad)


class SelfAttention(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        # l2-norm attention: per-head learnable log-scale, initialised to ln 4
        self.scale_mul_1H11 = nn.Parameter(torch.full((1, heads, 1, 1), math.log(4.0)))
        self.q_bias, self.v_bias = nn.Parameter(torch.zeros(c)), nn.Parameter(torch.zeros(c))
        self.register_buffer("zero_k_bias", torch.zeros(c))  # K has no bias
        self.mat_qkv = nn.Linear(c, 3 * c, bias=False)
        self.proj = nn.Linear(c, c)

    def forward(self, x, cache):
        """cache: dict holding this layer's K/V of earlier scales; new K/V are appended (no mask needed:
        each step's queries see all earlier scales and their own, i.e. the block-causal mask)."""
        b, n, c = x.shape
        bias = torch.cat([self.q_bias, self.zero_k_bias, self.v_bias]).to(x.dtype)
        q, k, v = F.linear(x, self.mat_qkv.weight, bias).view(b, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        scale = self.scale_mul_1H11.clamp(max=math.log(100.0)).exp().to(x.dtype)
        q, k = F.normalize(q, dim=-1) * scale, F.normalize(k, dim=-1)
        if "k" in cache:
            k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
        cache["k"], cache["v"] = k, v
        out = torch.softmax(q @ k.transpose(-1, -2), dim=-1) @ v  # softmax scale 1 with l2-norm
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class FFN(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(c, hidden), nn.Linear(hidden, c)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class AdaLNBlock(nn.Module):
    def __init__(self, c, heads, ffn):
        super().__init__()
        self.attn, self.ffn = SelfAttention(c, heads), FFN(c, ffn)
        self.ada_lin = nn.Sequential(nn.SiLU(), nn.Linear(c, 6 * c))

    def forward(self, x, cond, cache):
        # row order of ada_lin: gamma1, gamma2, scale1, scale2, shift1, shift2
        g1, g2, s1, s2, b1, b2 = self.ada_lin(cond).view(-1, 1, 6, x.shape[-1]).unbind(2)
        x = x + self.attn(layer_norm(x) * (1 + s1) + b1, cache) * g1
        return x + self.ffn(layer_norm(x) * (1 + s2) + b2) * g2


class AdaLNBeforeHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ada_lin = nn.Sequential(nn.SiLU(), nn.Linear(c, 2 * c))

    def forward(self, x, cond):
        scale, shift = self.ada_lin(cond).view(-1, 1, 2, x.shape[-1]).unbind(2)
        return layer_norm(x) * (1 + scale) + shift


class VAR(nn.Module):
    def __init__(self, depth, num_classes=1000, patch_nums=PATCH_NUMS_256, vocab=4096, z=32):
        super().__init__()
        s = size_rule(depth)
        c, length = s["dim"], sum(pn * pn for pn in patch_nums)
        self.patch_nums, self.num_classes = tuple(patch_nums), num_classes
        self.pos_start = nn.Parameter(torch.zeros(1, 1, c))  # scale 0 has one token: pn=1
        self.pos_1LC = nn.Parameter(torch.zeros(1, length, c))
        level = torch.cat([torch.full((pn * pn,), i) for i, pn in enumerate(patch_nums)])
        self.register_buffer("lvl_1L", level.view(1, length))
        # Training-only block-causal mask; kept because the official state_dict has it.
        mask = torch.where(level[None, :] <= level[:, None], 0.0, -torch.inf)
        self.register_buffer("attn_bias_for_masking", mask.view(1, 1, length, length))
        self.word_embed = nn.Linear(z, c)
        self.class_emb = nn.Embedding(num_classes + 1, c)  # last row = null (unconditional) class
        self.lvl_embed = nn.Embedding(len(patch_nums), c)
        self.blocks = nn.ModuleList([AdaLNBlock(c, s["heads"], s["ffn"]) for _ in range(depth)])
        self.head_nm = AdaLNBeforeHead(c)
        self.head = nn.Linear(c, vocab)

    def step(self, x, cond, caches):
        """Runs the new tokens x (2, n, C) through all blocks; returns head logits (2, n, V) in f32."""
        for block, cache in zip(self.blocks, caches):
            x = block(x, cond, cache)
        return self.head(self.head_nm(x.float(), cond.float())).float()


def _init(var, seed):
    """Deterministic random init, scaled so greedy sampling has varied (non-degenerate) logits."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in var.named_parameters():
            if name.endswith("scale_mul_1H11"):
                continue
            std = 1.0 if name == "class_emb.weight" else 0.05 if "ada_lin" in name else 0.02
            p.copy_((torch.randn(p.shape, generator=g) * std).clamp(-2 * std, 2 * std) if p.dim() > 1
                    else torch.randn(p.shape, generator=g) * 0.02)
        c = var.pos_start.shape[-1]
        for block in var.blocks:  # gamma1/gamma2 ≈ 1 so each residual branch actually contributes
            block.ada_lin[1].bias[:2 * c] += 1.0


def build_var(depth, num_classes=1000, patch_nums=PATCH_NUMS_256, seed=0, init=True):
    torch.manual_seed(seed)
    var = VAR(depth, num_classes, patch_nums)
    if init:
        _init(var, seed)
    return var.eval()


def cfg_weight(cfg, si, num_scales):
    """CFG strength at scale si: cfg·si/(S-1) (spec: ratio = si/9 for 10 scales); scale 0 is pure cond."""
    return cfg * si / max(num_scales - 1, 1)


def sample(logits, top_k, top_p, gen):
    """logits (n, V) -> codes (n,). top_k=1 is greedy argmax with the lowest index winning ties;
    otherwise official top-k/top-p masking + torch.multinomial (stream not reproducible elsewhere)."""
    if top_k == 1:
        return (logits == logits.max(dim=-1, keepdim=True).values).int().argmax(dim=-1)
    logits = logits.clone()
    if top_k > 0:
        kth = logits.topk(top_k, dim=-1).values[:, -1:]
        logits[logits < kth] = -torch.inf
    if top_p > 0:
        sorted_logits, order = logits.sort(dim=-1)
        drop = sorted_logits.softmax(-1).cumsum(-1) <= 1 - top_p
        drop[:, -1] = False  # the maximum always survives
        logits[drop.scatter(1, order, drop)] = -torch.inf
    return torch.multinomial(logits.softmax(-1), 1, replacement=True, generator=gen)[:, 0]


@torch.no_grad()
def infer(var, vae, label, seed=0, cfg=1.5, top_k=0, top_p=0.0, patch_nums=None, dtype=torch.float32):
    """autoregressive_infer_cfg for one image. Rows are [cond, uncond]. Returns a dict with codes,
    logits (CFG-combined) and cond_logits per scale, f_hat (1, z, hw, hw) and image (1, 3, 16hw, 16hw)."""
    patch_nums = tuple(patch_nums or var.patch_nums)
    gen = torch.Generator().manual_seed(seed)
    labels = torch.tensor([label if label >= 0 else var.num_classes, var.num_classes])
    cond = var.class_emb(labels)
    lvl_pos = var.lvl_embed(var.lvl_1L[0]) + var.pos_1LC[0]  # (L, C)
    hw, z = patch_nums[-1], vae.quantize.embedding.weight.shape[1]
    f_hat = torch.zeros(1, z, hw, hw, dtype=dtype)
    caches = [{} for _ in var.blocks]
    x = (cond + var.pos_start[0] + lvl_pos[:1]).unsqueeze(1)  # (2, 1, C)
    out = {"codes": [], "logits": [], "cond_logits": []}
    begin = 0
    for si, pn in enumerate(patch_nums):
        both = var.step(x, cond, caches)
        t = cfg_weight(cfg, si, len(patch_nums))
        logits = (1 + t) * both[0] - t * both[1]
        idx = sample(logits, top_k, top_p, gen)
        out["codes"].append(idx)
        out["logits"].append(logits)
        out["cond_logits"].append(both[0])
        f_hat = vae.quantize.add_scale(f_hat, idx, si, patch_nums)
        begin += pn * pn
        if si + 1 < len(patch_nums):
            nxt = patch_nums[si + 1]
            small = F.interpolate(f_hat, size=(nxt, nxt), mode="area")  # overlapping adaptive-avg bins
            tokens = small.reshape(z, nxt * nxt).T.float()                # row-major (pn², z)
            x = (var.word_embed(tokens) + lvl_pos[begin:begin + nxt * nxt]).unsqueeze(0).repeat(2, 1, 1)
    out["f_hat"] = f_hat
    out["image"] = vae.fhat_to_img(f_hat)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--depth", type=int, default=16)
    ap.add_argument("--patch-nums", default=",".join(map(str, PATCH_NUMS_256)))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="VAR state_dict .pth")
    ap.add_argument("--vae-out", help="VAE state_dict .pth (optional)")
    ap.add_argument("--vae-ch", type=int, default=160)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    patch_nums = tuple(int(p) for p in args.patch_nums.split(","))
    torch.save(build_var(args.depth, patch_nums=patch_nums, seed=args.seed).state_dict(), args.out)
    if args.vae_out:
        torch.save(build_vae(ch=args.vae_ch, seed=args.seed).state_dict(), args.vae_out)


if __name__ == "__main__":
    main()
