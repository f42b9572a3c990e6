"""ERR-Seg decode head: RRHC -> RRCA -> upsampling decoder."""
import math
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from timm.layers import trunc_normal_

from .rrca import RRCA
from .rrhc import RRHC
from .upsampling_decoder import UpsamplingDecoder

__all__ = ['ERRSegHead', 'CLIPFeatures']


class CLIPFeatures(NamedTuple):
    """What the CLIP encoder hands to the head.

    guidances: ConvNeXt stage outputs (os4, os8, os16, os32); os4/os8 detached.
    os16_dense: F3^s (B, D, H/16, W/16), or None when not computed.
    os32_dense: F4^s (B, D, H/32, W/32).
    """
    guidances: Tuple[torch.Tensor, ...]
    os16_dense: Optional[torch.Tensor]
    os32_dense: torch.Tensor


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


@MODELS.register_module()
class ERRSegHead(BaseModule):
    """The ERR-Seg decoder. Every ablation switch of the paper is an argument.

    Args:
        embed_dim: CLIP joint embedding dim D (B: 640, L: 768).
        guidance_dims: Channels of the ConvNeXt stages (os4, os8, os16, os32).
        num_selected: P kept per image in training (and at test unless the
            segmentor's ``test_cfg.num_selected`` overrides it).
        top_k: k of the class score.
        score_lambda: lambda of the class score.
        selection_map: 'os16' (official code) | 'os32' (paper text).
        class_removal: False keeps all T classes (Table 6 "w/o remove").
        cost_maps: 'hierarchical' (official) | 'single' (Table 6).
        cost_embed_dim: Channels of the per-class cost embedding.
        dim: Aggregation channels C.
        guidance_inter_dim: Hidden channels of the image-guidance FPN.
        num_layers, num_heads: Aggregation layers and heads.
        sr_ratio: SSR r1 (1 = off), for all layers or per layer.
        class_pool: CSR r2 (1 = off).
        mlp_type: 'star' (official) | 'vanilla' (Table 12).
        mlp_ratio: MLP expansion.
        drop_path_step: Layer i has stochastic depth i * step.
        spatial_aggregation, class_aggregation: Table 10 switches.
        decoder_dims: Channels of the three up blocks.
        decoder_guidance_dims: Projected (os16, os8, os4) guidance channels.
        guidance_clamp: Stage outputs are clamped to [-clamp, clamp].
    """

    def __init__(self,
                 embed_dim: int = 640,
                 guidance_dims: Sequence[int] = (128, 256, 512, 1024),
                 num_selected: Optional[int] = 32,
                 top_k: int = 3,
                 score_lambda: float = 0.1,
                 selection_map: str = 'os16',
                 class_removal: bool = True,
                 cost_maps: str = 'hierarchical',
                 cost_embed_dim: int = 256,
                 dim: int = 128,
                 guidance_inter_dim: int = 256,
                 num_layers: int = 4,
                 num_heads: int = 4,
                 sr_ratio: Union[int, Sequence[int]] = 2,
                 class_pool: int = 2,
                 mlp_type: str = 'star',
                 mlp_ratio: int = 3,
                 drop_path_step: float = 0.025,
                 spatial_aggregation: bool = True,
                 class_aggregation: bool = True,
                 decoder_dims: Sequence[int] = (64, 32, 16),
                 decoder_guidance_dims: Sequence[int] = (32, 16, 8),
                 guidance_clamp: float = 16.0,
                 init_cfg=None):
        super().__init__(init_cfg)
        if len(guidance_dims) != 4:
            raise ValueError(f'guidance_dims needs the 4 stage widths (os4..os32), got {guidance_dims}')
        if num_selected is not None and num_selected < 1:
            raise ValueError(f'num_selected must be >= 1 or None, got {num_selected}')
        self.num_selected = num_selected
        self.guidance_clamp = guidance_clamp
        self.rrhc = RRHC(cost_maps, selection_map, class_removal, top_k, score_lambda,
                         cost_embed_dim, dim)
        self.rrca = RRCA(dim, guidance_dims[:1:-1], embed_dim, guidance_inter_dim, num_layers,
                         num_heads, sr_ratio, class_pool, mlp_type, mlp_ratio, drop_path_step,
                         spatial_aggregation, class_aggregation)
        for layer in self.rrca.layers:
            layer.apply(_init_aggregation_block)
        self.decoder = UpsamplingDecoder(dim, decoder_dims, guidance_dims[2::-1], decoder_guidance_dims)

    @property
    def needs_os16_dense(self) -> bool:
        return self.rrhc.hierarchical

    def forward(self, features: CLIPFeatures, text: torch.Tensor,
                num_selected: Optional[int] = None,
                gt_present: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Args:
            features: The CLIP encoder's output.
            text: Class embeddings (T, D), L2-normalised.
            num_selected: P for this call; defaults to ``self.num_selected``.
            gt_present: (B, T) bool ground-truth classes, for GT-first selection in training.

        Returns:
            Logits of the kept classes (B, P, H/4, W/4) and their indices (B, P).
        """
        p = self.num_selected if num_selected is None else num_selected
        c = self.guidance_clamp
        os4, os8, os16, os32 = (g.clamp(-c, c) for g in features.guidances)
        cost, kept = self.rrhc(features.os16_dense, features.os32_dense, text, p, gt_present,
                               size=os16.shape[-2:])
        x = self.rrca(cost, os32, os16, text[kept])
        return self.decoder(x, (os16.detach(), os8, os4)), kept
