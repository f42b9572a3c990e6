"""In-place arithmetic on tensors a block has just created, when no gradient is recorded.

A fresh tensor of the size of a cost embedding is tens of MiB: the allocator maps new pages for it,
which the kernel zero-fills on first touch. At inference the blocks write residual sums and guidance
terms into a tensor they have just made instead; the values are the same bit for bit (IEEE addition
commutes), and with autograd on the out-of-place form is kept.
"""
import torch

__all__ = ['add_into']


def add_into(fresh: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """``fresh + other``, written into ``fresh`` (which must own its full-size values) without autograd."""
    return fresh + other if torch.is_grad_enabled() else fresh.add_(other)
