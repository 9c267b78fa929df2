"""Checks tools/reference/infinity.py against the official Infinity code on random-init weights (CPU, torch 1.13).

  /usr/bin/python3 tools/infinity_official_check.py --official PATH/TO/FoundationVision/Infinity

The official code needs CUDA-only or unavailable packages; this script puts minimal stand-ins on the path
(flash_attn's varlen attention in plain torch and f32, timm's registry and DropPath, the two einops
patterns the BSQ quantizer uses, empty imageio/torchvision/safetensors/pytz/tqdm), shims
F.scaled_dot_product_attention and makes torch.compile a no-op (so the fused-norm path, the one released
runs take, is used). Both models get the same state dict (official key layout); the script compares:
  - greedy free-running bits at every scale (CFG 3 on logits, τ 0.5, top-k 1), and every scale's raw logits;
  - the decoder's float output on the same f̂.
Prints the maximum differences and exits non-zero past the tolerances.
"""
import argparse
import math
import os
import sys
import tempfile
import types

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from reference import infinity as ref  # noqa: E402

STUBS = {
    "flash_attn/__init__.py": '''
import torch
def flash_attn_func(q, k, v, dropout_p=0.0, softmax_scale=None, causal=False):
    raise RuntimeError("not used: customized_flash_attn is False")
def flash_attn_varlen_kvpacked_func(q, kv, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k, dropout_p=0.0, softmax_scale=None, **kw):
    out = []
    q32, kv32 = q.float(), kv.float()
    for b in range(len(cu_seqlens_q) - 1):
        qs, ks = q32[cu_seqlens_q[b]:cu_seqlens_q[b + 1]], kv32[cu_seqlens_k[b]:cu_seqlens_k[b + 1]]
        att = torch.einsum("qhd,khd->hqk", qs, ks[:, 0]) * softmax_scale
        out.append(torch.einsum("hqk,khd->qhd", att.softmax(-1), ks[:, 1]))
    return torch.cat(out).to(q.dtype)
''',
    "timm/__init__.py": "",
    "timm/loss.py": "class SoftTargetCrossEntropy: pass\n",
    "timm/models/__init__.py": "def register_model(f):\n    return f\n",
    "timm/models/layers.py": '''
import torch.nn as nn
def drop_path(x, *a, **k):
    return x
class DropPath(nn.Identity):
    def __init__(self, *a, **k):
        super().__init__()
''',
    "einops/__init__.py": '''
def rearrange(t, pattern, **kw):
    if pattern == "... c d -> ... (c d)":
        return t.flatten(-2)
    if pattern == "b ... d -> b d ...":
        return t.movedim(-1, 1)
    raise NotImplementedError(pattern)
def reduce(*a, **k):
    raise NotImplementedError
def pack(*a, **k):
    raise NotImplementedError
def unpack(*a, **k):
    raise NotImplementedError
''',
    "imageio/__init__.py": "",
    "torchvision/__init__.py": "transforms = None\n",
    "torchvision/transforms/__init__.py": "",
    "safetensors/__init__.py": "",
    "safetensors/torch.py": "def load_file(*a, **k):\n    raise NotImplementedError\n",
    "pytz/__init__.py": "",
    "tqdm/__init__.py": "def tqdm(*a, **k):\n    raise NotImplementedError\n",
}


def sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    s = (query @ key.transpose(-1, -2)) * (1 / math.sqrt(query.shape[-1]) if scale is None else scale)
    if attn_mask is not None:
        s = s + attn_mask
    return s.softmax(-1) @ value


def install_stubs():
    root = tempfile.mkdtemp(prefix="infinity-stubs-")
    for rel, text in STUBS.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    sys.path.insert(0, root)
    F.scaled_dot_product_attention = sdpa
    torch.compile = lambda fn=None, **kw: fn if fn is not None else (lambda f: f)
    trunc = torch.nn.init.trunc_normal_  # torch 1.13's has no generator argument (only the init values differ)
    torch.nn.init.trunc_normal_ = lambda t, *a, generator=None, **k: trunc(t, *a, **k)
    getitem = torch.Tensor.__getitem__  # torch 1.13 refuses int32 index tensors (the RoPE table uses them)

    def long_index(t, idx):
        fix = lambda i: i.long() if isinstance(i, torch.Tensor) and i.dtype == torch.int32 else i  # noqa: E731
        return getitem(t, tuple(fix(i) for i in idx) if isinstance(idx, tuple) else fix(idx))

    torch.Tensor.__getitem__ = long_index
    to = torch.Tensor.to  # flash-attn needs bf16, so the official cross-attention casts to it; we compare in f32

    def no_bf16(t, *a, **k):
        if k.get("dtype") == torch.bfloat16 or (a and a[0] is torch.bfloat16):
            return t
        return to(t, *a, **k)

    torch.Tensor.to = no_bf16


def official_vae(ch, d):
    """The official vae_model() (its full argument list) with the base width replaced: it hard-codes 128."""
    import infinity.models.bsq_vae.vae as vae_mod
    real = vae_mod.AutoEncoder

    def with_width(a):
        a.base_ch = ch
        return real(a)

    vae_mod.AutoEncoder = with_width
    try:
        return vae_mod.vae_model({}, "dynamic", d, 2**d, test_mode=True)
    finally:
        vae_mod.AutoEncoder = real


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official", required=True)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--vae-ch", type=int, default=32)
    ap.add_argument("--ratio", type=float, default=1.0, help="h/w, snapped to the nearest official template")
    ap.add_argument("--pn", default="0.06M", choices=list(ref.PN_SCALES))
    args = ap.parse_args()
    install_stubs()
    sys.path.insert(0, args.official)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    from infinity.models.infinity import Infinity

    d, ct5, lt = 32, 256, 7
    scales, full_last = ref.schedule(args.ratio, args.pn)
    vae_o = official_vae(args.vae_ch, d).eval()
    vae_r = ref.randomize_(ref.BsqVae(args.vae_ch, d), 1).eval()
    sd_vae = vae_r.state_dict()
    missing, unexpected = vae_o.load_state_dict(sd_vae, strict=False)
    assert not unexpected, unexpected
    assert all(k.startswith("encoder.") or "quant_conv" in k for k in missing), [k for k in missing if not k.startswith("encoder.")]

    model_r = ref.randomize_(ref.Infinity(args.depth, args.width, args.heads, d, ct5, chunks=args.depth), 2).eval()
    model_o = Infinity(
        vae_local=vae_o, text_channels=ct5, text_maxlen=512, shared_aln=True, raw_scale_schedule=None,
        checkpointing="full-block", customized_flash_attn=False, fused_norm=True, pad_to_multiplier=128,
        use_flex_attn=False, add_lvl_embeding_only_first_block=1, use_bit_label=1, rope2d_each_sa_layer=1,
        rope2d_normalized_by_hw=2, pn=args.pn, apply_spatial_patchify=0, inference_mode=True, train_h_div_w_list=[1.0],
        depth=args.depth, embed_dim=args.width, num_heads=args.heads, mlp_ratio=4, block_chunks=args.depth, cond_drop_rate=0,
    ).eval()
    sd = model_r.state_dict()
    res = torch.nn.Module.load_state_dict(model_o, dict(sd), strict=True)  # its override passes `assign`, new in torch 2
    print("official load:", res)

    feats = torch.randn(lt, ct5)
    cfg, tau = 3.0, 0.5
    out_r = ref.infer(model_r, feats, scales, full_last, cfg=cfg, tau=tau, top_k=1, capture_rows=10**6)

    captured = []
    get_logits = model_o.get_logits
    model_o.get_logits = lambda h, c: captured.append(get_logits(h, c)) or captured[-1]
    bits_o = []  # the official loop keeps its bits local: record them where they become codes
    to_codes = vae_o.quantizer.lfq.indices_to_codes
    vae_o.quantizer.lfq.indices_to_codes = lambda idx, **k: bits_o.append(idx.clone()) or to_codes(idx, **k)
    label = (feats, [lt], torch.tensor([0, lt], dtype=torch.int32), lt)
    _, _, img = model_o.autoregressive_infer_cfg(
        vae=vae_o, scale_schedule=[(1, h, w) for h, w in scales], label_B_or_BLT=label, B=1, g_seed=0,
        cfg_list=[cfg] * len(scales), tau_list=[tau] * len(scales), top_k=1, top_p=0.0, returns_vemb=1,
        cfg_insertion_layer=[0], vae_type=1, ret_img=True, inference_mode=True)
    worst_logit, bits_diff, ties = 0.0, 0, 0
    for si, (h, w) in enumerate(scales):
        lo = captured[si]  # [2, n, 2d], before /τ
        ref_rows = torch.stack([out_r["logits_cond"][si], out_r["logits_uncond"][si]])
        e = ((lo - ref_rows).abs().max() / ref_rows.abs().max()).item()
        print(f"scale {si} ({h}x{w}): logits rel err {e:.2e}")
        worst_logit = max(worst_logit, e)
        bo = bits_o[si].reshape(h * w, d)
        br = out_r["bits"][si]
        g = (cfg * lo[0] - (cfg - 1) * lo[1]).reshape(h * w, d, 2)
        near = (g[..., 1] - g[..., 0]).abs() <= 1e-3 * g.abs().max()
        bits_diff += ((bo != br) & ~near).sum().item()
        ties += near.sum().item()
    with torch.no_grad():
        img_o = vae_o.decode(out_r["fhat"][None])
        img_r = vae_r.decoder(out_r["fhat"][None])
    img_err = (img_o - img_r).abs().max().item()
    u8 = ((img_r[0] + 1) / 2).permute(1, 2, 0).mul(255).to(torch.uint8).flip(-1)
    u8_err = (u8.int() - img[0].int()).abs().max().item()
    print(f"schedule {scales}: logits max rel err {worst_logit:.2e}; bits differing off near-ties {bits_diff} (near ties {ties}); "
          f"decoder max abs err {img_err:.2e}; official uint8 image vs reference {u8_err}")
    ok = worst_logit <= 1e-5 and bits_diff == 0 and img_err <= 1e-4 and u8_err <= 1
    print("OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
