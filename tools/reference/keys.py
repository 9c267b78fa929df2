"""Expected state_dict keys/shapes of official VAR/VQVAE checkpoints, derived from our reference modules.

Building a d16 VAR with PyTorch's default init takes seconds; the shapes are all we need here, so the
layers' reset_parameters are skipped while constructing (memory stays untouched: torch.empty is lazy).
"""
import contextlib
from collections import OrderedDict

from torch import nn

from reference.vae import VQVAE
from reference.var import VAR


@contextlib.contextmanager
def skip_default_init():
    classes = (nn.Linear, nn.Conv2d, nn.Embedding, nn.GroupNorm)
    saved = [c.reset_parameters for c in classes]
    try:
        for c in classes:
            c.reset_parameters = lambda self: None
        yield
    finally:
        for c, fn in zip(classes, saved):
            c.reset_parameters = fn


def _shapes(module):
    return OrderedDict((k, (tuple(v.shape), v.dtype)) for k, v in module.state_dict().items())


def var_shapes(depth, patch_nums, num_classes=1000, vocab=4096, z=32):
    """{key: (shape, dtype)} in official order for a VAR of this depth (size rule C = 64·depth)."""
    with skip_default_init():
        return _shapes(VAR(depth, num_classes, patch_nums, vocab, z))


def vae_shapes(ch=160, vocab=4096, z=32):
    with skip_default_init():
        return _shapes(VQVAE(ch, vocab, z))
