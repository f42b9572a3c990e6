"""Guided multi-head self-attention with optional spatial sequence reduction.

Queries and keys see the tokens concatenated with a guidance (image features
for spatial aggregation, text embeddings for class aggregation); values see the
tokens only. With ``sr_ratio`` r1 > 1 (SSR, paper Eq. 7) keys and values come
from a stride-r1 convolution of the token grid, followed by LayerNorm and the
linear projection.

Every linear map of a concatenation ``[x || g]`` (q, k, the SSR conv of k) is
computed as ``W_x x + W_g g``: the guidance term once per image (spatial) or
per class (class block) and broadcast, instead of copying the guidance to every
sequence. The parameters keep the shapes of the official concatenated layers.
"""
from contextlib import contextmanager
from typing import Iterator, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .inplace import add_into

__all__ = ['GuidedAttention', 'concatenated_guidance']


class GuidedAttention(nn.Module):
    """Args:
        dim: Token channels C.
        num_heads: Attention heads (head dim C / heads).
        guidance_dim: Guidance channels concatenated to queries and keys.
        sr_ratio: SSR ratio r1; 1 disables the reduction.
    """

    def __init__(self, dim: int, num_heads: int, guidance_dim: Optional[int] = None,
                 sr_ratio: int = 1):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim {dim} must be divisible by num_heads {num_heads}')
        guidance_dim = dim if guidance_dim is None else guidance_dim
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.sr_ratio = sr_ratio
        self.concat_guidance = False  # True: the official concatenation (see concatenated_guidance)
        self.q = nn.Linear(dim + guidance_dim, dim)
        self.k = nn.Linear(dim + guidance_dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        if sr_ratio > 1:
            self.sr_k = nn.Conv2d(dim + guidance_dim, dim + guidance_dim, sr_ratio, sr_ratio)
            self.norm_k = nn.LayerNorm(dim + guidance_dim)
            self.sr_v = nn.Conv2d(dim, dim, sr_ratio, sr_ratio)
            self.norm_v = nn.LayerNorm(dim)

    def _reduce(self, x: torch.Tensor, hw: Tuple[int, int], conv: nn.Conv2d, norm: nn.LayerNorm,
                guidance: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Stride-r1 conv of the token grid (of ``[x || guidance]`` when a guidance is given), then LayerNorm.

        Args:
            x: Tokens (B, G, L, C).
            hw: Token grid (H, W).
            conv, norm: The reduction conv and its LayerNorm.
            guidance: (B, 1, L, Cg) shared by the G sequences, (B, G, L, Cg), or None.

        Returns:
            Reduced tokens (B*G, L / r1^2, C_out).
        """
        b, g, _, c = x.shape
        if guidance is not None and self.concat_guidance:
            x, guidance = torch.cat([x, guidance.expand(b, g, -1, -1)], dim=-1), None
        grid = x.reshape(b * g, *hw, x.shape[-1]).permute(0, 3, 1, 2)  # channels-last view
        if guidance is None:
            out = conv(grid)
        else:  # conv([x || g]) = conv_x(x) + conv_g(g), conv_g once per image
            w = conv.weight
            out = F.conv2d(grid, w[:, :c].contiguous(), None, conv.stride)
            shared = F.conv2d(guidance.reshape(-1, *hw, guidance.shape[-1]).permute(0, 3, 1, 2),
                              w[:, c:].contiguous(), conv.bias, conv.stride)
            out = add_into(out.unflatten(0, (b, g)), shared.unflatten(0, (b, -1))).flatten(0, 1)
        return norm(out.permute(0, 2, 3, 1).flatten(1, 2))

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        n, length, c = x.shape
        return x.view(n, length, self.num_heads, c // self.num_heads).transpose(1, 2)

    def forward(self, x: torch.Tensor, guidance: torch.Tensor,
                hw: Optional[Tuple[int, int]] = None) -> torch.Tensor:
        """Args:
            x: Tokens (B, G, L, C): G independent sequences of length L per image.
            guidance: (B, 1, L, Cg) shared by the G sequences, or (B, G, L, Cg).
            hw: Token grid (H, W) with H * W = L; needed when ``sr_ratio`` > 1.

        Returns:
            (B, G, L, C).
        """
        b, g, length, c = x.shape
        guidance = guidance.expand(b, g, -1, -1) if self.concat_guidance else guidance
        q = _linear_of_concat(self.q, x, guidance, self.concat_guidance).flatten(0, 1)
        if self.sr_ratio > 1:
            k = self.k(self._reduce(x, hw, self.sr_k, self.norm_k, guidance))
            v = self.v(self._reduce(x, hw, self.sr_v, self.norm_v))
        else:
            k = _linear_of_concat(self.k, x, guidance, self.concat_guidance).flatten(0, 1)
            v = self.v(x.flatten(0, 1))
        out = F.scaled_dot_product_attention(self._heads(q), self._heads(k), self._heads(v),
                                             scale=self.scale)
        return self.proj(out.transpose(1, 2).reshape(b, g, length, c))


def _linear_of_concat(linear: nn.Linear, x: torch.Tensor, guidance: torch.Tensor,
                      concat: bool = False) -> torch.Tensor:
    """``linear([x || guidance])`` as ``W_x x + (W_g guidance + b)``, the guidance term broadcast.

    The same function as projecting the concatenation (``concat=True``), without
    copying the guidance to each of the G sequences or projecting it G times.
    """
    if concat:
        return linear(torch.cat([x, guidance], dim=-1))
    c = x.shape[-1]
    return add_into(F.linear(x, linear.weight[:, :c]), F.linear(guidance, linear.weight[:, c:], linear.bias))


@contextmanager
def concatenated_guidance(model: nn.Module) -> Iterator[nn.Module]:
    """Run ``model``'s guided layers on the concatenation ``[x || g]``, as the official code.

    Same outputs (to float rounding) as the default split form; what it is for
    is counting FLOPs in the paper's convention (the official execution), and
    checking the split form against it.
    """
    layers = [m for m in model.modules() if hasattr(m, 'concat_guidance')]
    for m in layers:
        m.concat_guidance = True
    try:
        yield model
    finally:
        for m in layers:
            m.concat_guidance = False
