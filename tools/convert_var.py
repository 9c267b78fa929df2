"""Convert official VAR checkpoints (var_d*.pth + vae_ch160v4096z32.pth) into a nextscale model folder:
config.json, model-0000N.safetensors shards (each <= 256 MiB) and manifest.json.

  /usr/bin/python3 tools/convert_var.py --vae vae_ch160v4096z32.pth --var var_d16.pth --out models/var-d16 \
      [--dtype f16|int8] [--name var-d16] [--patch-nums 1,2,3,4]

Tensors are named var.<official key> / vae.<official key>. Exit code 2 with "error: <Class>: <msg>" on
a bad checkpoint.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402

from export import write_manifest  # noqa: E402
from nextscale_tools import safetensors_io  # noqa: E402
from nextscale_tools.var_checkpoint import (ConversionError, TooLargeError, inspect_vae, inspect_var,  # noqa: E402
                                            load_state_dict)
from reference.vae import CH_MULT, NUM_RES_BLOCKS, PHI_COUNT, QUANT_RESI, phi_index  # noqa: E402
from reference.var import size_rule  # noqa: E402

SHARD_LIMIT = 256 * 1024 * 1024
VAR_DROP = ("attn_bias_for_masking", "lvl_1L")   # recomputed by the runtime from the scale schedule
VAE_KEEP = ("post_quant_conv.", "decoder.", "quantize.embedding.weight", "quantize.quant_resi.qresi_ls.")
KEEP_F32 = {"var.pos_start", "var.pos_1LC", "var.lvl_embed.weight", "var.class_emb.weight",
            "vae.quantize.embedding.weight"}  # small tables read directly, precision matters more than size
DEFAULT_SAMPLING = {"cfg": 4.0, "top_k": 900, "top_p": 0.95, "temperature": 1.0}  # official demo


def class_names():
    try:
        from torchvision.models._meta import _IMAGENET_CATEGORIES
        return list(_IMAGENET_CATEGORIES)
    except ImportError:
        print("note: torchvision is not installed; class_names written as null")
        return None


def selected_tensors(var_sd, vae_sd, dim):
    """Ordered [(name, f32 tensor)]: kept VAR keys (+ one fused qkv_bias per block), then VAE decoder path."""
    out = []
    for k, v in var_sd.items():
        if k in VAR_DROP or k.endswith("attn.zero_k_bias"):
            continue
        out.append((f"var.{k}", v.float()))
        if k.endswith("attn.v_bias"):  # q, k (zero), v biases in mat_qkv row order
            q = var_sd[k.replace("v_bias", "q_bias")].float()
            out.append((f"var.{k.replace('v_bias', 'qkv_bias')}", torch.cat([q, torch.zeros(dim), v.float()])))
    out += [(f"vae.{k}", v.float()) for k, v in vae_sd.items() if k.startswith(VAE_KEEP)]
    return out


def quantizable(name, t):
    if name in KEEP_F32:
        return False
    return (t.dim() == 2 and min(t.shape) >= 256) or (t.dim() == 4 and t.numel() >= 65536)


def encode(name, t, dtype):
    """-> [(name, np.ndarray)]: F32 for 1-D / scale / embedding tables, F16 otherwise; int8 mode stores big
    matrices as I8 with a symmetric per-output-row scale (value ≈ int8 · scale)."""
    if t.dim() <= 1 or name in KEEP_F32 or name.endswith("scale_mul_1H11"):
        return [(name, t.numpy().astype(np.float32))]
    if dtype == "int8" and quantizable(name, t):
        rows = t.reshape(t.shape[0], -1)
        scale = rows.abs().amax(dim=1) / 127.0
        scale[scale == 0] = 1.0
        q = torch.round(rows / scale[:, None]).clamp(-127, 127).to(torch.int8).reshape(t.shape)
        return [(name, q.numpy()), (f"{name}.int8_scale", scale.numpy().astype(np.float32))]
    arr = t.numpy().astype(np.float16)
    if not np.isfinite(arr).all():
        raise ConversionError(f"{name}: expected values within float16 range, found overflow")
    return [(name, arr)]


def pack(arrays, meta):
    """Greedy, in order: a shard takes tensors until the next would push its file over SHARD_LIMIT."""
    shards, current = [], []
    for item in arrays:
        if safetensors_io.layout([item], meta)[1] > SHARD_LIMIT:
            raise TooLargeError(f"{item[0]}: {item[1].nbytes} bytes, expected at most {SHARD_LIMIT} per shard")
        if current and safetensors_io.layout(current + [item], meta)[1] > SHARD_LIMIT:
            shards.append(current)
            current = []
        current.append(item)
    return shards + [current] if current else shards


def by_itemsize(arrays):
    """Within a file: F32 first, then F16, then I8, so every tensor's offset is naturally aligned."""
    return sorted(arrays, key=lambda a: -a[1].dtype.itemsize)  # stable: keeps checkpoint order per dtype


def build_config(name, info, vae, dim_rule, dtype, shard_names, var_path, vae_path, var_params, dec_params):
    return {
        "format": "nextscale-model", "version": 1, "name": name, "family": "var",
        "architecture": {"depth": info["depth"], "dim": dim_rule["dim"], "heads": dim_rule["heads"],
                         "head_dim": dim_rule["head_dim"], "ffn": dim_rule["ffn"],
                         "num_classes": info["num_classes"], "attn_l2_norm": True, "shared_aln": False,
                         "ln_eps": 1e-6},
        "vae": {"vocab_size": vae["vocab"], "z_channels": vae["z"], "ch": vae["ch"], "ch_mult": list(CH_MULT),
                "num_res_blocks": NUM_RES_BLOCKS, "quant_resi": QUANT_RESI, "phi_count": PHI_COUNT,
                "phi_index": phi_index(len(info["patch_nums"])), "gn_groups": 32, "gn_eps": 1e-6},
        "image": {"size": 16 * info["patch_nums"][-1], "scales": list(info["patch_nums"])},
        "sampling": dict(DEFAULT_SAMPLING),
        "class_names": class_names(),
        "files": {"weights": shard_names},
        "dtype": dtype,
        "source": {"var": os.path.basename(var_path), "vae": os.path.basename(vae_path),
                   "var_params": var_params, "vae_decoder_params": dec_params},
    }


def convert(var_path, vae_path, out_dir, dtype="f16", name=None, patch_nums=None):
    t0 = time.time()
    vae_sd, var_sd = load_state_dict(vae_path), load_state_dict(var_path)
    vae = inspect_vae(vae_sd)
    info = inspect_var(var_sd, vae, patch_nums)
    rule = size_rule(info["depth"])
    name = name or f"var-d{info['depth']}"
    arrays = [a for n, t in selected_tensors(var_sd, vae_sd, rule["dim"]) for a in encode(n, t, dtype)]
    meta = {"format": "nextscale", "model": name}
    shards = pack(arrays, meta)
    os.makedirs(out_dir, exist_ok=True)
    for fn in os.listdir(out_dir):  # stale shards of an earlier conversion would enter the manifest
        if fn.startswith("model-") and fn.endswith(".safetensors"):
            os.remove(os.path.join(out_dir, fn))
    shard_names, sizes = [f"model-{i:05d}.safetensors" for i in range(len(shards))], []
    for fn, shard in zip(shard_names, shards):
        sizes.append(safetensors_io.save_arrays(os.path.join(out_dir, fn), by_itemsize(shard), meta))
    var_params = sum(v.numel() for k, v in var_sd.items()
                     if k not in VAR_DROP and not k.endswith("zero_k_bias"))
    dec_params = sum(v.numel() for k, v in vae_sd.items() if k.startswith("decoder."))
    config = build_config(name, info, vae, rule, dtype, shard_names, var_path, vae_path, var_params, dec_params)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
        f.write("\n")
    total = write_manifest(out_dir, name, max_total_bytes=None)
    print(f"{name}: var {var_params / 1e6:.2f}M params, vae decoder {dec_params / 1e6:.2f}M, dtype {dtype}")
    for fn, size in zip(shard_names, sizes):
        print(f"  {fn}: {size} bytes")
    print(f"  total {total} bytes in {time.time() - t0:.1f}s -> {out_dir}")
    return config


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--var", required=True)
    ap.add_argument("--vae", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dtype", choices=("f16", "int8"), default="f16")
    ap.add_argument("--name")
    ap.add_argument("--patch-nums", help="comma-separated scale schedule, e.g. 1,2,3,4 (default: from pos_1LC)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    patch_nums = tuple(int(p) for p in args.patch_nums.split(",")) if args.patch_nums else None
    try:
        convert(args.var, args.vae, args.out, args.dtype, args.name, patch_nums)
    except ConversionError as e:
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
