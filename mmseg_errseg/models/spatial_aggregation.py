"""Spatial-level aggregation block with SSR (paper Sec. 3.2.1)."""
import torch
import torch.nn as nn
from timm.layers import DropPath

from .guided_attention import GuidedAttention
from .inplace import add_into
from .star_mlp import AggregationMlp

__all__ = ['SpatialAggregation']


class SpatialAggregation(nn.Module):
    """Self-attention over the H x W pixels of each kept class, guided by image features.

    Args:
        dim: Channels C of the cost embedding (and of the image guidance).
        num_heads: Attention heads.
        sr_ratio: SSR ratio r1 (1 disables SSR).
        mlp_type: 'star' (official) | 'vanilla'.
        mlp_ratio: C' / C.
        drop_path: Stochastic depth rate, per (image, class) sequence.
    """

    def __init__(self, dim: int, num_heads: int, sr_ratio: int = 2, mlp_type: str = 'star',
                 mlp_ratio: int = 3, drop_path: float = 0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = GuidedAttention(dim, num_heads, sr_ratio=sr_ratio)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = AggregationMlp(dim, mlp_ratio * dim, mlp_type, dwconv=True)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, guidance: torch.Tensor) -> torch.Tensor:
        """Args:
            x: Cost embedding (B, P, H, W, C), channels last.
            guidance: Image guidance (B, H, W, C), channels last.

        Returns:
            (B, P, H, W, C).
        """
        b, p, h, w, c = x.shape
        tokens = x.reshape(b * p, h * w, c)
        attn = self.attn(self.norm1(tokens).view(b, p, h * w, c), guidance.reshape(b, 1, h * w, -1), (h, w))
        tokens = add_into(self.drop_path(attn.view(b * p, h * w, c)), tokens)
        tokens = add_into(self.drop_path(self.mlp(self.norm2(tokens), (h, w))), tokens)
        return tokens.view(b, p, h, w, c)
