"""The official ERR-Seg training loss, computed without materialising T maps."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

__all__ = ['errseg_bce_loss', 'ERRSegBCELoss']


def _bce_constant(logit: float, target: float) -> float:
    # binary_cross_entropy_with_logits for a constant logit, in closed form
    return max(logit, 0.0) - logit * target + math.log1p(math.exp(-abs(logit)))


def errseg_bce_loss(kept_logits: torch.Tensor, kept: torch.Tensor, labels: torch.Tensor,
                    num_classes: int, ignore_index: int = 255, exclude_ignore: bool = False,
                    fill: float = -100.0) -> torch.Tensor:
    """Mean BCE-with-logits over all T classes and pixels, as the official code.

    The official loss scatters the P kept logits into T maps filled with -100,
    resizes them to the label size and averages BCE against one-hot targets.
    The T - P filled maps are constant, so their contribution is added in
    closed form: the result equals the official value (up to summation order)
    while only the P kept maps are resized.

    Args:
        kept_logits: (B, P, h, w) logits of the kept classes.
        kept: (B, P) their class indices.
        labels: (B, H, W) int labels in [0, T) or ``ignore_index``.
        num_classes: T.
        ignore_index: Label of ignored pixels.
        exclude_ignore: False (official): ignored pixels have all-zero targets
            and count in the mean. True: they are left out of the mean.
        fill: Logit of the classes that were not kept.

    Returns:
        Scalar loss.
    """
    b, p = kept.shape
    logits = F.interpolate(kept_logits.float(), size=labels.shape[-2:], mode='bilinear',
                           align_corners=False)
    target = labels.unsqueeze(1) == kept.view(b, p, 1, 1)
    loss = F.binary_cross_entropy_with_logits(logits, target.float(), reduction='none')
    valid = labels != ignore_index
    missed = valid & ~target.any(1)  # labelled pixels whose class was not kept
    off, on = _bce_constant(fill, 0.0), _bce_constant(fill, 1.0)
    if exclude_ignore:
        loss = loss * valid.unsqueeze(1)
        pixels = valid.sum()
    else:
        pixels = valid.new_tensor(labels.numel(), dtype=torch.float32)
    total = loss.sum() + off * (num_classes - p) * pixels + (on - off) * missed.sum()
    return total / (pixels * num_classes).clamp(min=1)


@MODELS.register_module()
class ERRSegBCELoss(nn.Module):
    """:func:`errseg_bce_loss` as an MMSeg loss module (``ERRSeg(loss_decode=dict(type=...))`` swaps it).

    Args:
        exclude_ignore: See :func:`errseg_bce_loss`.
        fill: Logit of the classes that were not kept.
        loss_name: Key of the loss in the segmentor's loss dict.
    """

    def __init__(self, exclude_ignore: bool = False, fill: float = -100.0,
                 loss_name: str = 'loss_sem_seg'):
        super().__init__()
        self.exclude_ignore = exclude_ignore
        self.fill = fill
        self.loss_name = loss_name

    def forward(self, kept_logits: torch.Tensor, kept: torch.Tensor, labels: torch.Tensor,
                num_classes: int, ignore_index: int = 255) -> torch.Tensor:
        """Args as :func:`errseg_bce_loss`."""
        return errseg_bce_loss(kept_logits, kept, labels, num_classes, ignore_index,
                               self.exclude_ignore, self.fill)
