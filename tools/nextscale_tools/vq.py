"""Multi-scale residual VQ tokenizer (VAR-style quantizer, browser-light conv encoder/decoder).

Encoder/decoder use only: conv 3x3 (stride 1, pad 1) and 1x1, GroupNorm(affine), SiLU, 2x2 average
pool, depth-to-space (pixel shuffle), residual add. Channels stay tiny at high resolution; the heavy
layers run on the 8x8 latent grid (nextscale-tiny: decoder 130 MFLOP per 64x64 image, encoder 70).
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

GROUPS = 8


class ResBlock(nn.Module):
    """x + conv3(silu(gn(conv3(silu(gn(x))))))"""

    def __init__(self, ch):
        super().__init__()
        self.norm1 = nn.GroupNorm(GROUPS, ch)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.norm2 = nn.GroupNorm(GROUPS, ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        return x + self.conv2(F.silu(self.norm2(h)))


class Encoder(nn.Module):
    """64x64x3 -> 8x8xD. Three (conv3x3, SiLU, avgpool2) stages, then ResBlocks at 8x8, then 1x1 to D."""

    def __init__(self, code_dim, widths, latent_ch, blocks):
        super().__init__()
        c1, c2, c3 = widths
        self.conv_in = nn.Conv2d(3, c1, 3, padding=1)   # @64
        self.conv_d1 = nn.Conv2d(c1, c2, 3, padding=1)  # @32
        self.conv_d2 = nn.Conv2d(c2, c3, 3, padding=1)  # @16
        self.conv_d3 = nn.Conv2d(c3, latent_ch, 3, padding=1)  # @8
        self.blocks = nn.ModuleList([ResBlock(latent_ch) for _ in range(blocks)])
        self.norm_out = nn.GroupNorm(GROUPS, latent_ch)
        self.conv_out = nn.Conv2d(latent_ch, code_dim, 1)

    def forward(self, img_B3HW):
        x = F.avg_pool2d(F.silu(self.conv_in(img_B3HW)), 2)
        x = F.avg_pool2d(F.silu(self.conv_d1(x)), 2)
        x = F.avg_pool2d(F.silu(self.conv_d2(x)), 2)
        x = self.conv_d3(x)
        for b in self.blocks:
            x = b(x)
        return self.conv_out(F.silu(self.norm_out(x)))


class Decoder(nn.Module):
    """8x8xD -> 64x64x3. 1x1 in, ResBlocks at 8x8, then three (1x1 expand, pixel-shuffle x2, conv3x3) stages."""

    def __init__(self, code_dim, widths, latent_ch, blocks):
        super().__init__()
        c3, c2, c1 = widths  # channels at 16, 32, 64 px
        self.conv_in = nn.Conv2d(code_dim, latent_ch, 1)
        self.blocks = nn.ModuleList([ResBlock(latent_ch) for _ in range(blocks)])
        self.norm_mid = nn.GroupNorm(GROUPS, latent_ch)
        self.up1 = nn.Conv2d(latent_ch, c3 * 4, 1)  # then pixel_shuffle -> c3 @16
        self.conv1 = nn.Conv2d(c3, c3, 3, padding=1)
        self.up2 = nn.Conv2d(c3, c2 * 4, 1)  # -> c2 @32
        self.conv2 = nn.Conv2d(c2, c2, 3, padding=1)
        self.up3 = nn.Conv2d(c2, c1 * 4, 1)  # -> c1 @64
        self.conv_out = nn.Conv2d(c1, 3, 3, padding=1)

    def forward(self, f_BDhw):
        x = self.conv_in(f_BDhw)
        for b in self.blocks:
            x = b(x)
        x = F.silu(self.norm_mid(x))
        x = F.silu(self.conv1(F.pixel_shuffle(self.up1(x), 2)))
        x = F.silu(self.conv2(F.pixel_shuffle(self.up2(x), 2)))
        return self.conv_out(F.pixel_shuffle(self.up3(x), 2))


def upsample_bicubic(x_BDhw, size):
    return F.interpolate(x_BDhw, size=(size, size), mode="bicubic", align_corners=False)


def downsample_area(x_BDhw, size):
    return F.interpolate(x_BDhw, size=(size, size), mode="area")


class MultiScaleVQ(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.scales = list(cfg["scales"])
        self.code_dim = cfg["code_dim"]
        self.encoder = Encoder(cfg["code_dim"], cfg["enc_widths"], cfg["latent_ch"], cfg["enc_blocks"])
        self.decoder = Decoder(cfg["code_dim"], cfg["dec_widths"], cfg["latent_ch"], cfg["dec_blocks"])
        self.codebook = nn.Embedding(cfg["codebook_size"], cfg["code_dim"])
        nn.init.uniform_(self.codebook.weight, -1.0 / cfg["codebook_size"], 1.0 / cfg["codebook_size"])

    def nearest_topk_BhwK(self, r_BDhw, k):
        """k nearest codebook entries (plain L2) for every cell of r; ascending distance."""
        B, D, h, w = r_BDhw.shape
        r_ND = r_BDhw.permute(0, 2, 3, 1).reshape(-1, D)
        E_KD = self.codebook.weight
        d_NK = (r_ND * r_ND).sum(1, keepdim=True) - 2 * r_ND @ E_KD.t() + (E_KD * E_KD).sum(1)[None]
        idx = d_NK.topk(k, dim=1, largest=False).indices if k > 1 else d_NK.argmin(1, keepdim=True)
        return idx.view(B, h, w, k)

    def embed_BDhw(self, idx_Bhw):
        return self.codebook(idx_Bhw).permute(0, 3, 1, 2)

    def quantize(self, z_BDHW, topk=1):
        """VAR residual quantization. Returns (f_hat, codes per scale [B,h,w], topk per scale [B,h,w,k], residuals)."""
        f_hat, codes, tops, resid, _ = self._residual_walk(z_BDHW, topk, 0.0, None)
        return f_hat, codes, tops, resid

    def quantize_chain(self, z_BDHW, topk, prob, gen):
        """A self-correction chain (NextFlow's self-correction, done as in Infinity's bitwise self-correction):
        at every scale but the last, each cell's code is swapped with probability `prob` for one of its top-k
        nearest, and the later scales quantize the residual left by the codes actually used. Returns
        (inputs, targets), lists of [B,h,w] per scale: targets are each scale's top-1 on that chain, so a model
        trained on them learns to correct an earlier wrong code instead of drawing as if it had not happened."""
        _, targets, _, _, inputs = self._residual_walk(z_BDHW, topk, prob, gen)
        return inputs, targets

    def _residual_walk(self, z_BDHW, topk, swap_prob, gen):
        """Coarse to fine: quantize what the codes used so far leave. Returns (f_hat, top-1 codes, top-k codes,
        residuals, codes used); the codes used differ from the top-1 only where a swap (swap_prob > 0) hit."""
        H = z_BDHW.shape[-1]
        f_hat = torch.zeros_like(z_BDHW)
        codes, tops, resid, used_all = [], [], [], []
        for i, s in enumerate(self.scales):
            r = downsample_area(z_BDHW - f_hat, s) if s != H else z_BDHW - f_hat
            top = self.nearest_topk_BhwK(r.detach(), topk)
            idx = used = top[..., 0]
            if swap_prob > 0 and i < len(self.scales) - 1:  # the last scale feeds no later block
                swap = torch.rand(idx.shape, generator=gen) < swap_prob
                alt = top.gather(-1, torch.randint(0, topk, idx.shape + (1,), generator=gen))[..., 0]
                used = torch.where(swap, alt, idx)
            q = self.embed_BDhw(used)
            f_hat = f_hat + (upsample_bicubic(q, H) if s != H else q)
            codes.append(idx)
            tops.append(top)
            resid.append(r)
            used_all.append(used)
        return f_hat, codes, tops, resid, used_all

    def codes_to_fhat(self, codes):
        """Sum of upsampled codebook maps; codes is a list (coarse->fine) of [B,h,w] long tensors."""
        H = self.scales[-1]
        f_hat = 0
        for idx in codes:
            q = self.embed_BDhw(idx)
            f_hat = f_hat + (upsample_bicubic(q, H) if q.shape[-1] != H else q)
        return f_hat

    def decode_codes(self, codes):
        return self.decoder(self.codes_to_fhat(codes))

    def forward(self, img_B3HW):
        """Training forward: returns (recon, vq_loss, codes)."""
        z = self.encoder(img_B3HW)
        f_hat, codes, _, _ = self.quantize(z)
        vq_loss = F.mse_loss(f_hat, z.detach()) + 0.25 * F.mse_loss(z, f_hat.detach())
        f_st = z + (f_hat - z).detach()  # straight-through estimator
        return self.decoder(f_st), vq_loss, codes


def to_unit(img_NHW3_uint8):
    """uint8 HWC -> float [-1, 1] NCHW (the tokenizer's pixel convention)."""
    return torch.from_numpy(np.array(img_NHW3_uint8)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def to_uint8(img_B3HW):
    return img_B3HW.clamp(-1, 1).add(1).mul(127.5).round().byte().permute(0, 2, 3, 1).numpy()


def psnr(a_uint8, b_uint8):
    mse = ((a_uint8.astype("float64") - b_uint8.astype("float64")) ** 2).mean(axis=(1, 2, 3))
    return float((10 * torch.log10(255.0 ** 2 / torch.tensor(mse).clamp(min=1e-10))).mean())
