"""Golden outputs for the TS T5 encoder: e2e/goldens/t5-tiny/.

A tiny random-init T5 v1.1 encoder (3 layers, d_model 64, 4 heads of 16, gated-GELU FFN of 128, 32 buckets up to
distance 128, vocabulary 100; norm weights not 1, a random position-bias table) written as the hub publishes a T5
folder: config.json (T5Config) and model.safetensors holding the encoder and, as the hub's files do, decoder
tensors the encoder never reads. The reference (tools/reference/t5.py, checked against Hugging Face's
T5EncoderModel by tools/t5_hf_check.py) gives last_hidden_state for inputs of lengths 1, 7, 40 and 140 (past the
buckets' saturation). Reruns are byte-identical.

  /usr/bin/python3 tools/t5_golden.py [--out e2e/goldens/t5-tiny]

goldens.safetensors: ids_<L> [L] i64 and hidden_<L> [L, 64] f32 for each length; buckets [601] i64, the bucket of
relative positions −300…300.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402

from nextscale_tools import safetensors_io  # noqa: E402
from reference import t5 as ref  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LENGTHS = (1, 7, 40, 140)


def make(out):
    os.makedirs(out, exist_ok=True)
    model = ref.randomize_(ref.T5Encoder(), 1).eval()
    c = model.cfg
    g = torch.Generator().manual_seed(5)
    tensors = [(k, v.numpy().astype(np.float32)) for k, v in model.state_dict().items()]
    # What a hub folder also holds: the decoder and the LM head (never read by an encoder).
    d, ff = c["d_model"], c["d_ff"]
    tensors += [
        ("decoder.block.0.layer.0.SelfAttention.q.weight", torch.randn(d, d, generator=g).numpy()),
        ("decoder.final_layer_norm.weight", torch.ones(d).numpy()),
        ("lm_head.weight", torch.randn(c["vocab_size"], d, generator=g).numpy()),
        ("decoder.block.0.layer.2.DenseReluDense.wo.weight", torch.randn(d, ff, generator=g).numpy()),
    ]
    tensors.sort(key=lambda t: t[0])
    safetensors_io.save_arrays(os.path.join(out, "model.safetensors"), [(k, np.ascontiguousarray(v, dtype=np.float32)) for k, v in tensors], metadata={"format": "pt"})
    config = {
        "architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "d_model": d, "d_kv": c["d_kv"], "d_ff": ff,
        "num_layers": c["num_layers"], "num_decoder_layers": 1, "num_heads": c["num_heads"],
        "relative_attention_num_buckets": c["relative_attention_num_buckets"], "relative_attention_max_distance": c["relative_attention_max_distance"],
        "feed_forward_proj": "gated-gelu", "is_gated_act": True, "dense_act_fn": "gelu_new", "layer_norm_epsilon": 1e-6,
        "vocab_size": c["vocab_size"], "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0, "tie_word_embeddings": False,
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    arrays = []
    for L in LENGTHS:
        ids = torch.randint(2, c["vocab_size"], (1, L), generator=g)
        ids[0, -1] = 1  # ends in EOS, as T5's tokenizer appends it
        hidden = model(ids)[0]
        arrays += [(f"hidden_{L}", hidden.numpy().astype(np.float32)), (f"ids_{L}", ids[0].numpy().astype(np.int64))]
    # The bucket of every relative position −300…300 (memory − query), to check a reimplementation exactly.
    arrays.append(("buckets", ref.relative_buckets(torch.arange(-300, 301)).numpy().astype(np.int64)))
    arrays.sort(key=lambda a: (-a[1].dtype.itemsize, a[0]))
    safetensors_io.save_arrays(os.path.join(out, "goldens.safetensors"), arrays)
    print(f"wrote {out}: lengths {LENGTHS}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "e2e", "goldens", "t5-tiny"))
    torch.set_num_threads(1)
    make(ap.parse_args().out)
