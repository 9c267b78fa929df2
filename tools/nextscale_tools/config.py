"""Loads and validates the training config, with clear errors for bad values."""
import json

from .shapes import data_jitter


class ConfigError(ValueError):
    pass


def _need(cond, msg):
    if not cond:
        raise ConfigError(msg)


def validate(cfg):
    for key in ("name", "seed", "data", "vq", "lm", "sampling"):
        _need(key in cfg, f"config: missing top-level key {key!r}")
    vq, lm = cfg["vq"], cfg["lm"]
    jitter = cfg["data"].get("jitter_px", 0)  # only a value the recipe gives needs checking
    _need(isinstance(jitter, (int, float)) and 0 <= jitter <= 4,
          "data.jitter_px must be a number of pixels in [0, 4] (how far shapes sit from their grid-cell centres)")
    _need(list(vq["scales"]) == sorted(set(vq["scales"])), "vq.scales must be strictly increasing")
    _need(vq["scales"][-1] == 8, "vq.scales must end at the 8x8 latent grid")
    _need(vq["latent_ch"] % 8 == 0 and all(w % 8 == 0 for w in vq["dec_widths"][:1]),
          "vq channel counts must be divisible by the GroupNorm group count (8)")
    _need(lm["head_dim"] == 64, "lm.head_dim must be 64 (the WebGPU attention kernels assume it)")
    _need(lm["dim"] == lm["heads"] * lm["head_dim"], "lm.dim must equal heads * head_dim")
    _need(lm["heads"] % lm["kv_heads"] == 0, "lm.heads must be a multiple of lm.kv_heads")
    _need(sum(lm["rope_sections"]) == lm["head_dim"] // 2, "lm.rope_sections must sum to head_dim/2 pairs")
    _need(0.0 <= lm["prompt_dropout"] < 1 and 0.0 <= lm["self_correct_prob"] <= 1, "probabilities must be in [0,1]")
    chains = lm.get("self_correct_chains", 0)
    _need(isinstance(chains, int) and chains >= 0, "lm.self_correct_chains must be a whole number >= 0 (0: swap inputs only)")
    tau = lm.get("finest_soft_tau", 0.0)
    _need(isinstance(tau, (int, float)) and tau >= 0,
          "lm.finest_soft_tau must be a number >= 0 (0: one-hot targets at the finest scale)")
    _need(abs(sum(lm["mix"].values()) - 1.0) < 1e-6, "lm.mix weights must sum to 1")
    sft = vq.get("sample_finetune")
    if sft:
        for key in ("samples", "minutes", "lr", "batch", "sample_fraction", "emoji_fraction", "edge_weight", "l1_weight"):
            _need(isinstance(sft.get(key), (int, float)) and sft[key] >= 0, f"vq.sample_finetune.{key} must be a number >= 0")
        _need(isinstance(sft["samples"], int) and sft["samples"] > 0 and isinstance(sft["batch"], int) and sft["batch"] > 0,
              "vq.sample_finetune.samples and .batch must be whole numbers > 0")
        _need(sft["sample_fraction"] + sft["emoji_fraction"] <= 1,
              "vq.sample_finetune.sample_fraction + emoji_fraction must be at most 1 (the rest: clean shapes)")
        _need(data_jitter(cfg["data"]) == 0, "vq.sample_finetune needs data.jitter_px 0: a sampled image's target is its caption's "
                           "rendering, which jitter would make ambiguous")
    return cfg


def load(path):
    with open(path) as f:
        return validate(json.load(f))
