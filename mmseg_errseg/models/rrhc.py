"""Redundancy-Reduced Hierarchical Cost maps (paper Sec. 3.1)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .class_reduction import class_scores, gather_classes, select_classes
from .cost_maps import cosine_cost_map
from .inplace import add_into

__all__ = ['RRHC']

COST_MAPS = ('hierarchical', 'single')
SELECTION_MAPS = ('os16', 'os32')


class RRHC(nn.Module):
    """Cost maps from F3^s (os16) and F4^s (os32), class reduction, embedding and merging.

    Merging follows the official code, not the paper's Eq. 6: the paper sums
    ``conv(S3) + up(conv(S4))``; the official code averages the two embeddings
    (``(conv(S3) + up(conv(S4))) / 2``) and then applies a 1x1 fusion conv
    (``cost_fusion``, embed_dim -> out_dim).

    Args:
        cost_maps: 'hierarchical' (S3 and S4, official) | 'single' (S4 only).
        selection_map: Cost map scored for class reduction: 'os16' (S3, official
            code) | 'os32' (S4, paper text). 'single' requires 'os32'.
        class_removal: Keep only P classes (official); False keeps all T.
        top_k: Ranks per pixel counted by the score (k).
        score_lambda: Score coefficient lambda.
        embed_dim: Channels of the per-class cost embedding conv (7x7, 1 -> embed_dim).
        out_dim: Channels after the 1x1 fusion conv (the aggregation dim).
    """

    def __init__(self, cost_maps: str = 'hierarchical', selection_map: str = 'os16',
                 class_removal: bool = True, top_k: int = 3, score_lambda: float = 0.1,
                 embed_dim: int = 256, out_dim: int = 128):
        super().__init__()
        if cost_maps not in COST_MAPS:
            raise ValueError(f'cost_maps must be one of {COST_MAPS}, got {cost_maps!r}')
        if selection_map not in SELECTION_MAPS:
            raise ValueError(f'selection_map must be one of {SELECTION_MAPS}, got {selection_map!r}')
        if cost_maps == 'single' and selection_map != 'os32':
            raise ValueError("cost_maps='single' has no os16 cost map: set selection_map='os32'")
        if top_k < 1:
            raise ValueError(f'top_k must be >= 1, got {top_k}')
        if not 0 < score_lambda < 1:
            raise ValueError(f'score_lambda must be in (0, 1), got {score_lambda}')
        self.hierarchical = cost_maps == 'hierarchical'
        self.selection_map = selection_map
        self.class_removal = class_removal
        self.top_k = top_k
        self.score_lambda = score_lambda
        # cost_embed[0] embeds S3 (os16) and cost_embed[-1] S4 (os32)
        self.cost_embed = nn.ModuleList(
            nn.Conv2d(1, embed_dim, 7, padding=3) for _ in range(2 if self.hierarchical else 1))
        self.cost_fusion = nn.Conv2d(embed_dim, out_dim, 1)

    def selection_cost(self, os16_dense: Optional[torch.Tensor], os32_dense: torch.Tensor,
                       text: torch.Tensor) -> torch.Tensor:
        """The cost map class reduction scores (B, T, H, W): S3 ('os16') or S4 ('os32')."""
        return cosine_cost_map(os16_dense if self.selection_map == 'os16' else os32_dense, text)

    def class_scores(self, cost: torch.Tensor) -> torch.Tensor:
        """R(t) (Eq. 4) of every class (B, T) on a selection cost map; the P highest are kept."""
        return class_scores(cost, self.top_k, self.score_lambda)

    def _embed(self, cost: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
        b, p, h, w = cost.shape
        # channels last: the resize, the fusion conv and the (B, P, H, W, C) output then need no copy
        return conv(cost.reshape(b * p, 1, h, w)).contiguous(memory_format=torch.channels_last)

    def forward(self, os16_dense: Optional[torch.Tensor], os32_dense: torch.Tensor,
                text: torch.Tensor, num_selected: Optional[int],
                gt_present: Optional[torch.Tensor] = None,
                size: Optional[Tuple[int, int]] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Args:
            os16_dense: F3^s (B, D, H, W); None with single cost maps.
            os32_dense: F4^s (B, D, H/2, W/2).
            text: Class embeddings (T, D).
            num_selected: P; None keeps every class.
            gt_present: (B, T) bool ground-truth classes (training) for GT-first selection.
            size: (H, W) of the cost embedding; defaults to the os16 map size.

        Returns:
            Cost embedding (B, P, H, W, C) channels last, and kept indices (B, P), ascending.
        """
        dense = dict(os32=os32_dense, os16=os16_dense) if self.hierarchical else dict(os32=os32_dense)
        selection_cost = self.selection_cost(os16_dense, os32_dense, text)
        b, t = selection_cost.shape[:2]
        if not self.class_removal or num_selected is None or num_selected >= t:  # all T classes are kept
            kept = torch.arange(t, device=selection_cost.device).expand(b, t)
        else:
            kept = select_classes(self.class_scores(selection_cost), num_selected, gt_present)
        kept_text = text[kept]  # (B, P, D)
        costs = {self.selection_map: gather_classes(selection_cost, kept)}
        for name, feats in dense.items():
            if name not in costs:  # only the kept classes are needed from the other map
                costs[name] = cosine_cost_map(feats, kept_text)
        embed32 = self._embed(costs['os32'], self.cost_embed[-1])
        size = size or (costs['os16'].shape[-2:] if self.hierarchical else None)
        embed = embed32 = F.interpolate(embed32, size=size, mode='bilinear', align_corners=False)
        if self.hierarchical:
            embed = add_into(self._embed(costs['os16'], self.cost_embed[0]), embed32).div_(2.0)
        embed = self.cost_fusion(embed)
        return embed.permute(0, 2, 3, 1).reshape(*kept.shape, *embed.shape[-2:], embed.shape[1]), kept
