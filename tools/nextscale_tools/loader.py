"""Builds the reference Runner from an exported model folder (f16 weights upcast to f32)."""
import json
import os

from . import safetensors_io
from .generate import Runner
from .model import NextScaleDecoder
from .vocab import Vocab
from .vq import MultiScaleVQ


def load_runner(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        mc = json.load(f)
    with open(os.path.join(model_dir, "tokenizer.json")) as f:
        tok = json.load(f)
    ids = tok["model"]["vocab"]
    ordered = sorted(ids, key=ids.get)
    n_special = len(tok["added_tokens"])
    img = mc["image"]
    vocab = Vocab(ordered[n_special:], img["codebook_size"])
    if vocab.layout() != mc["vocab"]:
        raise ValueError("tokenizer.json and config.json disagree on the vocab layout")
    arch = dict(mc["architecture"])
    arch.update(rope_theta=arch["rope"]["theta"], rope_sections=arch["rope"]["sections"])
    model = NextScaleDecoder(arch, vocab.size, len(img["scales"]), img["code_dim"])
    lm_t, _ = safetensors_io.load(os.path.join(model_dir, "model.safetensors"))
    model.load_state_dict({k[3:]: v for k, v in lm_t.items()})
    vq_cfg = dict(mc["vq"], scales=img["scales"], code_dim=img["code_dim"], codebook_size=img["codebook_size"])
    vq = MultiScaleVQ(vq_cfg)
    vq_t, _ = safetensors_io.load(os.path.join(model_dir, "vq.safetensors"))
    vq.load_state_dict({k[3:]: v for k, v in vq_t.items()})
    closing = img.get("feed_back_finest", False)
    if not isinstance(closing, bool):  # the engine rejects it too (config.ts, ModelConfigError)
        raise ValueError(f"config.json image.feed_back_finest must be true or false, got {closing!r}")
    return Runner(model, vq, vocab, img["scales"], arch["rope"]["image_range"], closing), mc
