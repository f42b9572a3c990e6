"""ERR-Seg decode head: RRHC -> RRCA -> upsampling decoder."""
from typing import Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS

from .clip_convnext import CLIPFeatures
from .rrhc import RRHC
from .upsampling_decoder import UpsamplingDecoder

__all__ = ['ERRSegHead']


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
        aggregator: Overrides of the cost aggregator's config (``type`` defaults
            to :class:`~mmseg_errseg.models.RRCA`; it is built from ``MODELS``
            with the switches above, so a config can swap it).
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
                 aggregator: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        if len(guidance_dims) != 4:
            raise ValueError(f'guidance_dims needs the 4 stage widths (os4..os32), got {guidance_dims}')
        if num_selected is not None and num_selected < 1:
            raise ValueError(f'num_selected must be >= 1 or None, got {num_selected}')
        self.num_selected = num_selected
        self.guidance_clamp = guidance_clamp
        os4_dim, os8_dim, os16_dim, os32_dim = guidance_dims
        self.rrhc = RRHC(cost_maps=cost_maps, selection_map=selection_map, class_removal=class_removal,
                         top_k=top_k, score_lambda=score_lambda, embed_dim=cost_embed_dim, out_dim=dim)
        self.rrca = MODELS.build(dict(
            dict(type='RRCA', dim=dim, image_guidance_dims=(os32_dim, os16_dim), text_dim=embed_dim,
                 guidance_inter_dim=guidance_inter_dim, num_layers=num_layers, num_heads=num_heads,
                 sr_ratio=sr_ratio, class_pool=class_pool, mlp_type=mlp_type, mlp_ratio=mlp_ratio,
                 drop_path_step=drop_path_step, spatial_aggregation=spatial_aggregation,
                 class_aggregation=class_aggregation),
            **(aggregator or {})))
        self.decoder = UpsamplingDecoder(in_dim=dim, dims=decoder_dims,
                                         guidance_dims=(os16_dim, os8_dim, os4_dim),
                                         guidance_proj_dims=decoder_guidance_dims)

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
