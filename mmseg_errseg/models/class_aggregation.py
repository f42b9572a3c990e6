"""Class-level aggregation block with CSR (paper Sec. 3.2.2)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath

from .guided_attention import GuidedAttention
from .inplace import add_into
from .star_mlp import AggregationMlp

__all__ = ['ClassAggregation']


class ClassAggregation(nn.Module):
    """Self-attention over the P kept classes at each (pooled) pixel, guided by text.

    CSR average-pools the cost embedding by ``class_pool`` (r2) before the
    attention; the result is upsampled back (bilinear, align_corners=True) and
    added to the block input, as the official block does. The residuals of the
    attention and MLP are taken on the pooled tokens, so with r2 = 1 the block
    returns ``x + (x + attention + MLP)`` (the official formula, unchanged).

    Args:
        dim: Channels C (and of the text guidance).
        num_heads: Attention heads.
        class_pool: CSR pooling r2 (1 disables CSR).
        mlp_type: 'star' (official) | 'vanilla'.
        mlp_ratio: C' / C.
        drop_path: Stochastic depth rate, per (image, pooled pixel) sequence.
    """

    def __init__(self, dim: int, num_heads: int, class_pool: int = 2, mlp_type: str = 'star',
                 mlp_ratio: int = 3, drop_path: float = 0.0):
        super().__init__()
        self.class_pool = class_pool
        self.norm1 = nn.LayerNorm(dim)
        self.attn = GuidedAttention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = AggregationMlp(dim, mlp_ratio * dim, mlp_type, out_act=True)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, guidance: torch.Tensor) -> torch.Tensor:
        """Args:
            x: Cost embedding (B, P, H, W, C), channels last.
            guidance: Text guidance (B, P, C).

        Returns:
            (B, P, H, W, C).
        """
        b, p, h, w, c = x.shape
        grid = x.view(b * p, h, w, c).permute(0, 3, 1, 2)  # channels-last view
        if self.class_pool > 1:
            grid = F.avg_pool2d(grid, self.class_pool)
        hp, wp = grid.shape[-2:]
        # (B*P, C, h, w) -> per pixel sequences over classes (B, h*w, P, C)
        tokens = grid.permute(0, 2, 3, 1).reshape(b, p, hp * wp, c).transpose(1, 2).reshape(b * hp * wp, p, c)
        attn = self.attn(self.norm1(tokens).view(b, hp * wp, p, c), guidance.unsqueeze(1))
        tokens = add_into(self.drop_path(attn.view(b * hp * wp, p, c)), tokens)
        tokens = add_into(self.drop_path(self.mlp(self.norm2(tokens))), tokens)
        # back to (B*P, h, w, C) at the pooled size, resized channels last: no full-size copy
        grid = tokens.view(b, hp, wp, p, c).permute(0, 3, 4, 1, 2).flatten(0, 1).contiguous(
            memory_format=torch.channels_last)
        if (hp, wp) != (h, w):
            grid = F.interpolate(grid, size=(h, w), mode='bilinear', align_corners=True)
        return add_into(grid.permute(0, 2, 3, 1).view(b, p, h, w, c), x)
