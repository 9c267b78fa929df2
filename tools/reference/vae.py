"""VAR's multi-scale VQVAE, re-implemented from /work/shared/VAR_SPEC.md section 1.

Module names mirror the official ones so state_dict() keys match the released vae_ch160v4096z32.pth.
Only the decoder forward and the quantizer's idx -> f_hat path run; the encoder exists for its keys.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CH_MULT = (1, 1, 2, 2, 4)
NUM_RES_BLOCKS = 2
QUANT_RESI = 0.5   # Phi(x) = (1 - 0.5)·x + 0.5·conv(x)
PHI_COUNT = 4      # share_quant_resi: 4 convs shared across the scales
PHI_TABLE_10 = (0, 0, 1, 1, 1, 2, 2, 3, 3, 3)  # official table; si=2 and si=7 are float ties (spec §1)


def norm(ch):
    return nn.GroupNorm(32, ch, eps=1e-6, affine=True)


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1, self.conv1 = norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2, self.conv2 = norm(cout), nn.Conv2d(cout, cout, 3, padding=1)
        # Official code names the 1x1 projection nin_shortcut and only creates it when widths differ.
        self.nin_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.nin_shortcut(x) + h


class AttnBlock(nn.Module):
    """Single-head self-attention over all pixels; qkv is one 1x1 conv with 3C outputs."""

    def __init__(self, ch):
        super().__init__()
        self.norm, self.qkv, self.proj_out = norm(ch), nn.Conv2d(ch, 3 * ch, 1), nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        attn = torch.softmax(q.transpose(1, 2) @ k * c ** -0.5, dim=-1)  # (b, hw_q, hw_k)
        out = (v @ attn.transpose(1, 2)).reshape(b, c, h, w)
        return x + self.proj_out(out)


class Sample(nn.Module):
    """Holds the conv of an up/downsample step (key: .conv)."""

    def __init__(self, ch, stride):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=stride, padding=1 if stride == 1 else 0)

    def forward(self, x):  # upsample only: nearest x2 then 3x3 conv
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class Mid(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.block_1, self.attn_1, self.block_2 = ResBlock(ch, ch), AttnBlock(ch), ResBlock(ch, ch)

    def forward(self, x):
        return self.block_2(self.attn_1(self.block_1(x)))


class Level(nn.Module):
    """One resolution level: res blocks (each followed by attention at the lowest level) + resample."""

    def __init__(self, cin, cout, n_blocks, with_attn, resample):
        super().__init__()
        self.block = nn.ModuleList([ResBlock(cin if i == 0 else cout, cout) for i in range(n_blocks)])
        self.attn = nn.ModuleList([AttnBlock(cout) for _ in range(n_blocks)] if with_attn else [])
        if resample == "down":
            self.downsample = Sample(cout, 2)
        elif resample == "up":
            self.upsample = Sample(cout, 1)

    def forward(self, x):
        for i, blk in enumerate(self.block):
            x = blk(x)
            if len(self.attn):
                x = self.attn[i](x)
        return self.upsample(x) if hasattr(self, "upsample") else x


class Encoder(nn.Module):
    """Keys/shapes only (we never encode images)."""

    def __init__(self, ch, z):
        super().__init__()
        n = len(CH_MULT)
        self.conv_in = nn.Conv2d(3, ch, 3, padding=1)
        ins = (1,) + CH_MULT
        self.down = nn.ModuleList([
            Level(ch * ins[i], ch * CH_MULT[i], NUM_RES_BLOCKS, i == n - 1, "down" if i < n - 1 else None)
            for i in range(n)])
        top = ch * CH_MULT[-1]
        self.mid, self.norm_out, self.conv_out = Mid(top), norm(top), nn.Conv2d(top, z, 3, padding=1)


class Decoder(nn.Module):
    def __init__(self, ch, z):
        super().__init__()
        n = len(CH_MULT)
        top = ch * CH_MULT[-1]
        self.conv_in = nn.Conv2d(z, top, 3, padding=1)
        self.mid = Mid(top)
        # up[i] is stored at index i but run from i = n-1 (lowest resolution) down to 0.
        ins = [ch * CH_MULT[min(i + 1, n - 1)] for i in range(n)]
        self.up = nn.ModuleList([
            Level(ins[i], ch * CH_MULT[i], NUM_RES_BLOCKS + 1, i == n - 1, "up" if i > 0 else None)
            for i in range(n)])
        self.norm_out, self.conv_out = norm(ch), nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for level in reversed(self.up):
            h = level(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Phi(nn.Conv2d):
    def __init__(self, z):
        super().__init__(z, z, 3, padding=1)

    def forward(self, x):
        return x * (1 - QUANT_RESI) + super().forward(x) * QUANT_RESI


class PhiShared(nn.Module):
    def __init__(self, z):
        super().__init__()
        self.qresi_ls = nn.ModuleList([Phi(z) for _ in range(PHI_COUNT)])


def phi_index(num_scales):
    """Which Phi conv each scale uses. The 10-scale table is hard-coded (float64 ties at si=2, 7); for
    other schedules we use k = argmin |linspace(1/12, 11/12, 4) - si/(S-1)| in float64 (first min wins)."""
    if num_scales == len(PHI_TABLE_10):
        return list(PHI_TABLE_10)
    ticks = np.linspace(1 / (3 * PHI_COUNT), 1 - 1 / (3 * PHI_COUNT), PHI_COUNT, dtype=np.float64)
    denom = max(num_scales - 1, 1)
    return [int(np.argmin(np.abs(ticks - si / denom))) for si in range(num_scales)]


class Quantizer(nn.Module):
    def __init__(self, vocab, z):
        super().__init__()
        self.register_buffer("ema_vocab_hit_SV", torch.zeros(10, vocab))  # training statistic, unused
        self.quant_resi = PhiShared(z)
        self.embedding = nn.Embedding(vocab, z)

    def add_scale(self, f_hat, idx, si, patch_nums):
        """f_hat += Phi_k(bicubic_up(embedding[idx])) for the codes `idx` (pn², row-major) of scale si."""
        pn, hw = patch_nums[si], patch_nums[-1]
        h = self.embedding.weight[idx].to(f_hat.dtype).T.reshape(1, -1, pn, pn)
        if si != len(patch_nums) - 1:
            h = F.interpolate(h, size=(hw, hw), mode="bicubic", align_corners=False)
        return f_hat + self.quant_resi.qresi_ls[phi_index(len(patch_nums))[si]](h)


class VQVAE(nn.Module):
    def __init__(self, ch=160, vocab=4096, z=32):
        super().__init__()
        if ch % 32:
            raise ValueError(f"ch must be a multiple of 32 (GroupNorm groups), got {ch}")
        self.encoder, self.decoder = Encoder(ch, z), Decoder(ch, z)
        self.quantize = Quantizer(vocab, z)
        self.quant_conv, self.post_quant_conv = nn.Conv2d(z, z, 3, padding=1), nn.Conv2d(z, z, 3, padding=1)

    def fhat_to_img(self, f_hat):
        """Returns an NCHW image in [0, 1]."""
        x = self.decoder(self.post_quant_conv(f_hat)).clamp(-1, 1)
        return (x + 1) * 0.5


def build_vae(ch=160, vocab=4096, z=32, seed=0, init=True):
    """Random-init VQVAE (deterministic from seed). init=False keeps PyTorch's default init (faster)."""
    torch.manual_seed(seed)
    vae = VQVAE(ch, vocab, z)
    if init:
        g = torch.Generator().manual_seed(seed)
        for name, p in vae.named_parameters():
            if p.dim() > 1:  # conv/embedding weights: scaled so activations stay O(1) through the decoder
                fan_in = p[0].numel()
                p.data.copy_(torch.randn(p.shape, generator=g) * (1.0 / fan_in) ** 0.5)
        with torch.no_grad():
            vae.quantize.embedding.weight.copy_(torch.randn(vae.quantize.embedding.weight.shape, generator=g))
    return vae.eval()
