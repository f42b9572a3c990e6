"""Compatibility shims for the ecosystem versions this project runs on, each a no-op where not needed
(README, "Compatibility"): ``mmcv.ops`` in pure PyTorch where mmcv has no compiled extensions (mmseg
imports two ops at import time and expects ``ModuleNotFoundError`` for the others), the types of mmengine
Runner checkpoints allow-listed for ``torch.load(weights_only=True)``, and ``MMSegInferencer(classes=...)``
setting the vocabulary of a model that has one (ERR-Seg).
"""
import functools
import importlib
import pickle
import sys
import types
import warnings
from typing import Optional

import torch
import torch.nn.functional as F
import torchvision

__all__ = ['apply']

_FALLBACK_NAME = 'mmcv.ops'


def point_sample(input: torch.Tensor, points: torch.Tensor, align_corners: bool = False, **kwargs) -> torch.Tensor:
    """mmcv's ``point_sample``: (N, C, H, W) sampled at (N, P, 2) or (N, Hg, Wg, 2) (x, y) in [0, 1]^2."""
    grid = points.unsqueeze(2) if points.dim() == 3 else points
    out = F.grid_sample(input, 2.0 * grid - 1.0, align_corners=align_corners, **kwargs)
    return out.squeeze(3) if points.dim() == 3 else out


def sigmoid_focal_loss(input: torch.Tensor, target: torch.Tensor, gamma: float = 2.0,
                       alpha: float = 0.25, weight: Optional[torch.Tensor] = None,
                       reduction: str = 'mean') -> torch.Tensor:
    """mmcv's ``sigmoid_focal_loss`` of (N, C) logits and (N,) targets (``C``: background); mean is sum / N.

    torchvision's focal loss on the one-hot targets, with mmcv's class weights and reductions.
    """
    num_classes = input.size(1)
    onehot = F.one_hot(target, num_classes + 1)[:, :num_classes].to(input.dtype)
    loss = torchvision.ops.sigmoid_focal_loss(input, onehot, alpha, gamma, reduction='none')
    if weight is not None:
        loss = loss * weight[target.clamp(max=num_classes - 1)].unsqueeze(1)
    if reduction == 'mean':
        return loss.sum() / input.size(0)
    return loss.sum() if reduction == 'sum' else loss


def _missing_op(name: str):
    if name.startswith('__'):  # module protocol look-ups (inspect, pickle) expect AttributeError
        raise AttributeError(name)
    raise ModuleNotFoundError(
        f"mmcv.ops.{name} needs mmcv's compiled extensions, which are not installed "
        '(mmcv-lite). Install a full mmcv build for your torch to use it.', name=name)


def _install_mmcv_ops_fallback() -> None:
    try:
        import mmcv
    except ModuleNotFoundError:
        return  # mmseg is unusable anyway; its own import error is clearer
    # mmcv warns at import that this op is unavailable; it is not used by mmseg's models here
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    try:
        importlib.import_module(_FALLBACK_NAME)
    except (ImportError, OSError):  # missing or unloadable mmcv._ext
        for name in [n for n in sys.modules if n == _FALLBACK_NAME or n.startswith(_FALLBACK_NAME + '.')]:
            del sys.modules[name]
        fallback = types.ModuleType(_FALLBACK_NAME, __doc__)
        vars(fallback).update(point_sample=point_sample, sigmoid_focal_loss=sigmoid_focal_loss,
                              __getattr__=_missing_op, __errseg_fallback__=True)
        sys.modules[_FALLBACK_NAME] = mmcv.ops = fallback


def _history_buffer_getattr(obj, name):
    """``getattr`` as a pickled ``HistoryBuffer`` uses it; the real one would reach any attribute."""
    from mmengine.logging import HistoryBuffer
    is_buffer = obj is HistoryBuffer or isinstance(obj, HistoryBuffer)
    if is_buffer and name in {'mean', 'min', 'max', 'current', *HistoryBuffer._statistics_methods}:
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'refusing getattr({type(obj).__name__}, {name!r}) in a weights-only load')


def _allow_runner_checkpoints() -> None:
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None:  # torch < 2.4 loads unrestricted by default
        return
    import numpy as np
    from mmengine.logging import HistoryBuffer

    safe = [HistoryBuffer, np.ndarray, np.dtype, (_history_buffer_getattr, 'builtins.getattr')]
    safe += list({type(np.dtype(c)) for c in '?bhilqBHILQefdgFDG'})  # numpy 2 dtype classes
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    safe += [_reconstruct, scalar]
    add_safe_globals(safe)


def _inferencer_sets_vocabulary() -> None:
    from mmseg.apis import MMSegInferencer
    init = MMSegInferencer.__init__

    def __init__(self, model, weights=None, classes=None, palette=None, dataset_name=None, device=None, scope='mmseg'):
        init(self, model, weights, None, None, dataset_name, device, scope)
        if classes is None or not hasattr(self.model, 'set_vocabulary'):
            self.visualizer.set_dataset_meta(classes, palette, dataset_name)  # what MMSeg does
            return
        self.model.set_vocabulary(classes)
        if palette is not None:
            self.model.dataset_meta = dict(classes=self.model.vocabulary, palette=palette)
        self.visualizer.set_dataset_meta(**self.model.dataset_meta)

    MMSegInferencer.__init__ = functools.wraps(init)(__init__)


@functools.lru_cache(maxsize=None)
def apply() -> None:
    """Apply every shim this environment needs (idempotent)."""
    _install_mmcv_ops_fallback()
    _allow_runner_checkpoints()
    _inferencer_sets_vocabulary()
