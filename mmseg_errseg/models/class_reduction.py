"""Redundant class reduction of RRHC (paper Sec. 3.1.2, Eqs. 4-5), batched.

The official implementation scores, selects, gathers and scatters image by
image in Python; here every step is one tensor operation over the batch.
"""
from typing import Optional

import torch

__all__ = ['class_scores', 'select_classes', 'gather_classes', 'scatter_classes']


def class_scores(cost: torch.Tensor, top_k: int = 3, score_lambda: float = 0.1) -> torch.Tensor:
    """Training-free class scores R(t) = sum_c lambda^(c-1) * #{pixels with t at rank c}.

    Args:
        cost: Cost map (B, T, H, W).
        top_k: Ranks counted per pixel (k); clamped to T.
        score_lambda: Score coefficient lambda, 0 < lambda < 1.

    Returns:
        Scores (B, T), float32, accumulated in rank order as the official code.
    """
    b, t = cost.shape[:2]
    k = min(top_k, t)
    ranks = cost.topk(k, dim=1).indices.flatten(2)  # (B, k, H*W)
    counts = torch.zeros(b, k, t, dtype=torch.float32, device=cost.device)
    counts.scatter_add_(2, ranks, torch.ones(ranks.shape, dtype=torch.float32, device=cost.device))
    scores = torch.zeros(b, t, dtype=torch.float32, device=cost.device)
    for rank in range(k):  # k <= a handful; the sum order matters for ties
        scores += counts[:, rank] * (score_lambda ** rank)
    return scores


def select_classes(scores: torch.Tensor, num_selected: int,
                   gt_present: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Keep P classes per image, sorted by class index.

    Inference keeps the P best-scoring classes. Training (``gt_present`` given)
    follows the official rule: the image's ground-truth classes first, then
    the classes among the P best-scoring ones that are not ground truth, in
    class-index order, truncated to P.

    Args:
        scores: (B, T) class scores.
        num_selected: P, 1 <= P <= T.
        gt_present: Optional (B, T) bool, classes present in each label map.

    Returns:
        Kept class indices (B, P), int64, ascending.
    """
    b, t = scores.shape
    if not 1 <= num_selected <= t:
        raise ValueError(f'num_selected must be in [1, {t}] for a vocabulary of {t} classes, '
                         f'got {num_selected}')
    top = scores.topk(num_selected, dim=1).indices
    if gt_present is None:
        return top.sort(dim=1).values
    in_top = torch.zeros_like(gt_present).scatter_(1, top, True)
    # Rank: ground truth (by index), then top-scoring non-GT (by index), then the rest.
    index = torch.arange(t, device=scores.device).expand(b, t)
    group = torch.where(gt_present, 0, torch.where(in_top, 1, 2))
    order = (group * t + index).argsort(dim=1)[:, :num_selected]
    return order.sort(dim=1).values


def gather_classes(x: torch.Tensor, kept: torch.Tensor) -> torch.Tensor:
    """Pick the kept classes of per-image tensors along dim 1.

    Args:
        x: (B, T, ...) per-class tensor.
        kept: (B, P) class indices.

    Returns:
        (B, P, ...).
    """
    idx = kept.view(*kept.shape, *([1] * (x.dim() - 2))).expand(-1, -1, *x.shape[2:])
    return x.gather(1, idx)


def scatter_classes(x: torch.Tensor, kept: torch.Tensor, num_classes: int,
                    fill: float = -100.0) -> torch.Tensor:
    """Place per-kept-class maps back into the full vocabulary.

    Args:
        x: (B, P, H, W) values of the kept classes.
        kept: (B, P) class indices.
        num_classes: T.
        fill: Value of the classes that were not kept (official: -100).

    Returns:
        (B, T, H, W); differentiable with respect to ``x``.
    """
    b, p, h, w = x.shape
    full = x.new_full((b, num_classes, h, w), fill)
    return full.scatter(1, kept.view(b, p, 1, 1).expand(-1, -1, h, w), x)
