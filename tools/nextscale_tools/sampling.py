"""Seeded sampler: the Python reference of docs/sampling.md (counter-based PCG hash RNG + CFG/top-k/top-p).

Every step follows the spec literally, in float32, walking candidates in index order, so the WebGPU
sampler can match it draw for draw.
"""
import numpy as np

M32 = 0xFFFFFFFF


def pcg(v):
    s = (v * 747796405 + 2891336453) & M32
    w = (((s >> ((s >> 28) + 4)) ^ s) * 277803737) & M32
    return (w ^ (w >> 22)) & M32


def draw_u32(seed, step, pos):
    return pcg(pcg(pcg(seed & M32) ^ (step & M32)) ^ (pos & M32))


def uniform(seed, step, pos):
    """float32 in [0, 1): top 24 bits of the draw times 2^-24 (exact in float32)."""
    return np.float32(draw_u32(seed, step, pos) >> 8) * np.float32(2.0 ** -24)


def image_step(k, s):
    return ((k << 8) | s) & M32


def text_step(n):
    return (0x80000000 | n) & M32


def sample_token(l_cond, l_uncond=None, guidance=0.0, temperature=1.0, top_k=0, top_p=1.0, seed=0, step=0, pos=0):
    """One token index in [0, V) from float32 logits, exactly as docs/sampling.md section 2."""
    l = np.asarray(l_cond, dtype=np.float32)
    if guidance != 0.0 and l_uncond is not None:
        t = np.float32(guidance)
        l = (np.float32(1) + t) * l - t * np.asarray(l_uncond, dtype=np.float32)
    if temperature == 0:
        return int(np.argmax(l))  # lowest index among the maxima
    l = l / np.float32(temperature)
    V = l.shape[0]
    keep = np.ones(V, dtype=bool)
    if 0 < top_k < V:
        tau_k = np.sort(l)[::-1][top_k - 1]
        keep = l >= tau_k
    m = l[keep].max()
    e = np.zeros(V, dtype=np.float32)
    e[keep] = np.exp(l[keep] - m).astype(np.float32)
    if 0 < top_p < 1:
        p = np.zeros(V, dtype=np.float32)
        p[keep] = e[keep] / np.cumsum(e[keep], dtype=np.float32)[-1]  # sequential index-order sum
        vals = np.sort(p[keep])[::-1]
        # mass(tau) = sum of p_j >= tau; take the largest tau (first in descending order) with mass >= top_p
        csum = np.cumsum(vals, dtype=np.float32)
        tau_p = vals[-1]
        for i in range(len(vals)):
            last_tie = i
            while last_tie + 1 < len(vals) and vals[last_tie + 1] == vals[i]:
                last_tie += 1
            if csum[last_tie] >= np.float32(top_p):
                tau_p = vals[i]
                break
        keep = keep & (p >= tau_p)
    kept_idx = np.nonzero(keep)[0]
    running = np.cumsum(e[kept_idx], dtype=np.float32)  # index order, float32, sequential
    target = uniform(seed, step, pos) * running[-1]
    hit = np.nonzero(running > target)[0]
    return int(kept_idx[hit[0]] if len(hit) else kept_idx[-1])
