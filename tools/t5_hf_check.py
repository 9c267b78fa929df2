"""Checks tools/reference/t5.py against Hugging Face's T5EncoderModel (transformers' own source) on random-init
weights, CPU, torch 1.13.

  /usr/bin/python3 tools/t5_hf_check.py --transformers PATH/TO/transformers/src

transformers is imported from its source with stand-ins for the packages it only needs for downloads and fast
tokenizers (huggingface_hub, tokenizers, safetensors, regex, tqdm, filelock: any attribute is a dummy) and without
its installed-versions check; it needs python3-packaging. Both models get the same state dict (the hub's key
names; norm weights not 1, a random position-bias table); inputs of lengths 1, 7, 40 and 140 (past the bucket
saturation), one batch padded with an attention mask. Prints the worst max-abs difference and the bucket table
check, and exits non-zero past 1e-5.
"""
import argparse
import importlib.abc
import importlib.machinery
import os
import sys
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import t5 as ref  # noqa: E402


class _Dummy:
    def __init__(self, *a, **k):
        pass

    def __call__(self, *a, **k):
        return _Dummy()

    def __getattr__(self, n):
        return "/tmp/hf-stub" if n.isupper() else _Dummy()

    def __iter__(self):
        return iter(())

    def __bool__(self):
        return False

    def __mro_entries__(self, bases):
        return (object,)


class _StubModule(types.ModuleType):
    __path__ = []

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.isupper():
            return "/tmp/hf-stub"
        return _Dummy() if name == "constants" else _Dummy


class _Stubs(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    ROOTS = {"huggingface_hub", "tokenizers", "safetensors", "regex", "tqdm", "filelock"}

    def find_spec(self, fullname, path, target=None):
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True) if fullname.split(".")[0] in self.ROOTS else None

    def create_module(self, spec):
        m = _StubModule(spec.name)
        m.__version__ = "99.0.0"
        return m

    def exec_module(self, module):
        pass


def load_hf(src):
    sys.meta_path.insert(0, _Stubs())
    skip = types.ModuleType("transformers.dependency_versions_check")
    skip.dep_version_check = lambda *a, **k: None
    sys.modules["transformers.dependency_versions_check"] = skip
    sys.path.insert(0, src)
    from transformers.models.t5.configuration_t5 import T5Config
    from transformers.models.t5.modeling_t5 import T5Attention, T5EncoderModel
    return T5Config, T5EncoderModel, T5Attention


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--transformers", required=True, help="transformers' src/ folder")
    a = ap.parse_args()
    T5Config, T5EncoderModel, T5Attention = load_hf(a.transformers)
    torch.manual_seed(0)
    mine = ref.randomize_(ref.T5Encoder(), 1).eval()
    c = mine.cfg
    cfg = T5Config(**c, feed_forward_proj="gated-gelu", dropout_rate=0.0, layer_norm_epsilon=1e-6, is_encoder_decoder=False, use_cache=False)
    hf = T5EncoderModel(cfg).eval()
    missing, unexpected = hf.load_state_dict(mine.state_dict(), strict=False)
    assert not unexpected, unexpected
    assert missing == ["encoder.embed_tokens.weight"] or not missing, missing  # tied to shared.weight
    worst = 0.0
    g = torch.Generator().manual_seed(2)
    for L in (1, 7, 40, 140):
        ids = torch.randint(0, c["vocab_size"], (1, L), generator=g)
        with torch.no_grad():
            want = hf(input_ids=ids).last_hidden_state
        got = mine(ids)
        e = (got - want).abs().max().item()
        print(f"L={L}: max abs {e:.2e} (|h| up to {want.abs().max().item():.1f})")
        worst = max(worst, e)
    # A padded batch: rows of 40 and 25 tokens.
    ids = torch.randint(0, c["vocab_size"], (2, 40), generator=g)
    mask = torch.ones(2, 40, dtype=torch.long)
    mask[1, 25:] = 0
    with torch.no_grad():
        want = hf(input_ids=ids, attention_mask=mask).last_hidden_state
    got = mine(ids, mask)
    e = (got[0] - want[0]).abs().max().item()
    e1 = (got[1, :25] - want[1, :25]).abs().max().item()
    print(f"padded batch: max abs {e:.2e} / {e1:.2e} (real tokens)")
    worst = max(worst, e, e1)
    rel = torch.arange(-300, 301)[None, :]
    same = torch.equal(ref.relative_buckets(rel), T5Attention._relative_position_bucket(rel, bidirectional=True, num_buckets=32, max_distance=128))
    print(f"relative-position buckets for −300…300 equal: {same}")
    ok = worst <= 1e-5 and same
    print("OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
