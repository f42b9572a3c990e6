"""Redundancy-Reduced Cost Aggregation (paper Sec. 3.2)."""
import math
from typing import Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from timm.layers import trunc_normal_

from .class_aggregation import ClassAggregation
from .spatial_aggregation import SpatialAggregation

__all__ = ['RRCA', 'AggregationLayer']


def _init_aggregation_block(m: nn.Module) -> None:
    # The official aggregation blocks re-initialise their layers this way.
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv2d):
        fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
        nn.init.normal_(m.weight, 0, math.sqrt(2.0 / fan_out))
        if m.bias is not None:
            nn.init.zeros_(m.bias)


class AggregationLayer(nn.Module):
    """One RRCA layer: spatial aggregation, then class aggregation (either may be off)."""

    def __init__(self, dim: int, num_heads: int, sr_ratio: int, class_pool: int, mlp_type: str,
                 mlp_ratio: int, drop_path: float, spatial: bool = True, classes: bool = True):
        super().__init__()
        self.spatial = SpatialAggregation(dim, num_heads, sr_ratio, mlp_type, mlp_ratio,
                                          drop_path) if spatial else None
        self.classes = ClassAggregation(dim, num_heads, class_pool, mlp_type, mlp_ratio,
                                        drop_path) if classes else None

    def forward(self, x, image_guidance, text_guidance):
        if self.spatial is not None:
            x = self.spatial(x, image_guidance)
        if self.classes is not None:
            x = self.classes(x, text_guidance)
        return x


@MODELS.register_module()
class RRCA(nn.Module):
    """Guidance projections and the stack of aggregation layers.

    The image guidance is an FPN of the os32 and os16 CLIP stage outputs
    (3x3 conv + ReLU6 each, os32 upsampled, averaged, 1x1 conv); the text
    guidance is a linear projection + GELU of the kept class embeddings. The
    layers' Linear / LayerNorm / Conv2d weights are re-initialised as the
    official aggregation blocks do (truncated normal 0.02; He normal, fan-out).
    Registered in ``MODELS``: ``ERRSegHead(aggregator=dict(type=...))`` swaps it.

    Args:
        dim: Cost-embedding channels C (the guidances are projected to C too).
        image_guidance_dims: Channels of the (os32, os16) stage outputs.
        text_dim: CLIP embedding dimension.
        guidance_inter_dim: Hidden channels of the image-guidance FPN.
        num_layers: Aggregation layers.
        num_heads: Attention heads.
        sr_ratio: SSR ratio r1, one for all layers or one per layer.
        class_pool: CSR pooling r2.
        mlp_type: 'star' | 'vanilla'.
        mlp_ratio: C' / C of the MLPs.
        drop_path_step: Layer i uses stochastic depth ``i * drop_path_step``.
        spatial_aggregation: Build the spatial blocks (Table 10 switch).
        class_aggregation: Build the class blocks (Table 10 switch).
    """

    def __init__(self, dim: int = 128, image_guidance_dims: Sequence[int] = (1024, 512),
                 text_dim: int = 640, guidance_inter_dim: int = 256, num_layers: int = 4,
                 num_heads: int = 4, sr_ratio: Union[int, Sequence[int]] = 2, class_pool: int = 2,
                 mlp_type: str = 'star', mlp_ratio: int = 3, drop_path_step: float = 0.025,
                 spatial_aggregation: bool = True, class_aggregation: bool = True):
        super().__init__()
        sr_ratios = [sr_ratio] * num_layers if isinstance(sr_ratio, int) else list(sr_ratio)
        if len(sr_ratios) != num_layers:
            raise ValueError(f'sr_ratio has {len(sr_ratios)} entries for {num_layers} layers')
        self.image_guidance_proj = nn.ModuleList(
            nn.Sequential(nn.Conv2d(d, guidance_inter_dim, 3, padding=1), nn.ReLU6(inplace=True))
            for d in image_guidance_dims)
        self.image_guidance_fusion = nn.Conv2d(guidance_inter_dim, dim, 1)
        self.text_guidance_proj = nn.Sequential(nn.Linear(text_dim, dim), nn.GELU())
        self.layers = nn.ModuleList(
            AggregationLayer(dim, num_heads, sr_ratio=r, class_pool=class_pool, mlp_type=mlp_type,
                             mlp_ratio=mlp_ratio, drop_path=i * drop_path_step,
                             spatial=spatial_aggregation, classes=class_aggregation)
            for i, r in enumerate(sr_ratios))
        self.layers.apply(_init_aggregation_block)

    def image_guidance(self, os32: torch.Tensor, os16: torch.Tensor) -> torch.Tensor:
        """(B, C32, h, w), (B, C16, H, W) -> fused guidance (B, H, W, C), channels last."""
        g32, g16 = (proj(g) for proj, g in zip(self.image_guidance_proj, (os32, os16)))
        g32 = F.interpolate(g32, size=g16.shape[-2:], mode='bilinear', align_corners=False)
        return self.image_guidance_fusion((g32 + g16) / 2.0).permute(0, 2, 3, 1).contiguous()

    def text_guidance(self, text: torch.Tensor) -> torch.Tensor:
        """Kept class embeddings (B, P, D) -> (B, P, C); re-normalised without eps as official."""
        return self.text_guidance_proj(text / text.norm(dim=-1, keepdim=True))

    def forward(self, x: torch.Tensor, os32: torch.Tensor, os16: torch.Tensor,
                text: torch.Tensor) -> torch.Tensor:
        """Args:
            x: Cost embedding (B, P, H, W, C), channels last.
            os32, os16: Clamped CLIP stage outputs.
            text: Kept class embeddings (B, P, D).

        Returns:
            Aggregated cost embedding (B, P, H, W, C).
        """
        image_guidance = self.image_guidance(os32, os16)
        text_guidance = self.text_guidance(text)
        for layer in self.layers:
            x = layer(x, image_guidance, text_guidance)
        return x
