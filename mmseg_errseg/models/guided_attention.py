"""Guided multi-head self-attention with optional spatial sequence reduction.

Queries and keys see the tokens concatenated with a guidance (image features
for spatial aggregation, text embeddings for class aggregation); values see the
tokens only. With ``sr_ratio`` r1 > 1 (SSR, paper Eq. 7) keys and values come
from a stride-r1 convolution of the token grid, followed by LayerNorm and the
linear projection.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['GuidedAttention']


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
        self.q = nn.Linear(dim + guidance_dim, dim)
        self.k = nn.Linear(dim + guidance_dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        if sr_ratio > 1:
            self.sr_k = nn.Conv2d(dim + guidance_dim, dim + guidance_dim, sr_ratio, sr_ratio)
            self.norm_k = nn.LayerNorm(dim + guidance_dim)
            self.sr_v = nn.Conv2d(dim, dim, sr_ratio, sr_ratio)
            self.norm_v = nn.LayerNorm(dim)

    def _reduce(self, tokens: torch.Tensor, hw: Tuple[int, int], conv: nn.Conv2d,
                norm: nn.LayerNorm) -> torch.Tensor:
        n, _, c = tokens.shape
        grid = tokens.reshape(n, *hw, c).permute(0, 3, 1, 2)  # channels-last view
        return norm(conv(grid).permute(0, 2, 3, 1).reshape(n, -1, c))

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
        xg = torch.cat([x, guidance.expand(b, g, -1, -1)], dim=-1).flatten(0, 1)
        x = x.flatten(0, 1)
        q = self.q(xg)
        if self.sr_ratio > 1:
            k = self.k(self._reduce(xg, hw, self.sr_k, self.norm_k))
            v = self.v(self._reduce(x, hw, self.sr_v, self.norm_v))
        else:
            k, v = self.k(xg), self.v(x)
        out = F.scaled_dot_product_attention(self._heads(q), self._heads(k), self._heads(v),
                                             scale=self.scale)
        return self.proj(out.transpose(1, 2).reshape(b, g, length, c))
