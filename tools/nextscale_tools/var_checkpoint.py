"""Load and validate official VAR / VQVAE checkpoints (plain state_dicts) before conversion.

Every problem is a typed ConversionError whose message says what was expected and what was found.
"""
import re

import torch

from reference.keys import vae_shapes, var_shapes

KNOWN_PATCH_NUMS = {  # pos_1LC length -> official schedule
    680: (1, 2, 3, 4, 5, 6, 8, 10, 13, 16),
    2240: (1, 2, 3, 4, 6, 9, 13, 18, 24, 32),
}


class ConversionError(Exception):
    pass


class MissingKeysError(ConversionError):
    pass


class UnexpectedKeysError(ConversionError):
    pass


class ShapeMismatchError(ConversionError):
    pass


class VaeMismatchError(ConversionError):
    pass


class TooLargeError(ConversionError):
    pass


class UnsupportedError(ConversionError):
    pass


def load_state_dict(path):
    """torch.load a checkpoint; unwraps {'model': sd}-style wrappers down to the tensor dict."""
    obj = torch.load(path, map_location="cpu")
    for wrapper in ("model", "state_dict", "module", "trainer"):
        if isinstance(obj, dict) and wrapper in obj and isinstance(obj[wrapper], dict):
            obj = obj[wrapper]
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ConversionError(f"{path}: expected a state_dict of tensors, found {type(obj).__name__}")
    return obj


def _names(keys, limit=10):
    keys = sorted(keys)
    return ", ".join(keys[:limit]) + (f", ... ({len(keys) - limit} more)" if len(keys) > limit else "")


def check_against(sd, expected, what):
    """Exact key set + shape comparison with an expected {key: (shape, dtype)}."""
    missing, extra = set(expected) - set(sd), set(sd) - set(expected)
    if missing:
        raise MissingKeysError(f"{what}: {len(missing)} of {len(expected)} expected keys missing: {_names(missing)}")
    if extra:
        raise UnexpectedKeysError(f"{what}: {len(extra)} unexpected keys (expected {len(expected)}): {_names(extra)}")
    for key, (shape, _) in expected.items():
        if tuple(sd[key].shape) != shape:
            raise ShapeMismatchError(f"{what}: {key} expected shape {list(shape)}, found {list(sd[key].shape)}")


def _require(sd, keys, what):
    missing = [k for k in keys if k not in sd]
    if missing:
        raise MissingKeysError(f"{what}: {len(missing)} keys needed to infer the model size are missing: "
                               f"{_names(missing)}")


def inspect_vae(sd):
    """Validates a VQVAE state_dict; returns {ch, vocab, z}."""
    _require(sd, ["decoder.conv_out.weight", "quantize.embedding.weight"], "vae")
    ch = sd["decoder.conv_out.weight"].shape[1]
    vocab, z = sd["quantize.embedding.weight"].shape
    if ch % 32:
        raise ShapeMismatchError(f"vae: decoder width (decoder.conv_out.weight dim 1) must be a multiple of 32, "
                                 f"found {ch}")
    check_against(sd, vae_shapes(ch, vocab, z), f"vae (ch={ch}, vocab={vocab}, z={z})")
    return {"ch": ch, "vocab": vocab, "z": z}


def inspect_var(sd, vae, patch_nums=None):
    """Validates a VAR state_dict against the size rule and the VAE; returns {depth, patch_nums, ...}."""
    if any(k.startswith("shared_ada_lin") or k.endswith("ada_gss") for k in sd):
        raise UnsupportedError("var: shared AdaLN checkpoint (shared_ada_lin / ada_gss keys, e.g. VAR-d36) is "
                               "not supported yet; expected per-block blocks.*.ada_lin")
    _require(sd, ["pos_start", "pos_1LC", "class_emb.weight", "word_embed.weight", "head.weight"], "var")
    blocks = {int(m.group(1)) for k in sd for m in [re.match(r"blocks\.(\d+)\.", k)] if m}
    depth = max(blocks) + 1 if blocks else 0
    length = sd["pos_1LC"].shape[1]
    if patch_nums is None:
        if length not in KNOWN_PATCH_NUMS:
            raise ShapeMismatchError(f"var: pos_1LC has {length} positions, expected one of "
                                     f"{sorted(KNOWN_PATCH_NUMS)} (pass --patch-nums for other schedules)")
        patch_nums = KNOWN_PATCH_NUMS[length]
    if sum(p * p for p in patch_nums) != length:
        raise ShapeMismatchError(f"var: patch_nums {list(patch_nums)} give {sum(p * p for p in patch_nums)} "
                                 f"tokens, pos_1LC has {length}")
    vocab, z = sd["head.weight"].shape[0], sd["word_embed.weight"].shape[1]
    if z != vae["z"]:
        raise VaeMismatchError(f"var word_embed in-dim is {z}, VAE z_channels is {vae['z']}; they must be equal")
    if vocab != vae["vocab"]:
        raise VaeMismatchError(f"var head out-dim is {vocab}, VAE codebook size is {vae['vocab']}; "
                               f"they must be equal")
    num_classes = sd["class_emb.weight"].shape[0] - 1
    check_against(sd, var_shapes(depth, patch_nums, num_classes, vocab, z), f"var (depth={depth})")
    return {"depth": depth, "patch_nums": tuple(patch_nums), "num_classes": num_classes}
