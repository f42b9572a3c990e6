"""Compatibility shims: mmcv.ops fallback and weights-only loading of Runner checkpoints."""
import importlib
import sys

import pytest
import torch
import torch.nn.functional as F

from mmseg_errseg import compat


def _has_compiled_mmcv():
    return not getattr(sys.modules.get('mmcv.ops'), '__errseg_fallback__', False)  # compat's fallback


@pytest.mark.skipif(_has_compiled_mmcv(), reason='a full mmcv is installed: the real ops are used')
def test_fallback_provides_mmseg_imports_and_absent_ops_raise_module_not_found():
    ops = importlib.import_module('mmcv.ops')
    assert callable(ops.point_sample) and callable(ops.sigmoid_focal_loss)
    with pytest.raises(ModuleNotFoundError, match='CrissCrossAttention'):
        from mmcv.ops import CrissCrossAttention  # noqa: F401
    from mmseg.models.decode_heads import cc_head  # its try/except sees a missing op
    assert cc_head.CrissCrossAttention is None


def test_point_sample_matches_grid_sample():
    x = torch.randn(2, 3, 5, 7)
    pts = torch.rand(2, 11, 2)
    ref = F.grid_sample(x, pts.unsqueeze(2) * 2 - 1, align_corners=False).squeeze(3)
    assert torch.allclose(compat.point_sample(x, pts), ref)
    assert compat.point_sample(x, pts.view(2, 11, 1, 2)).shape == (2, 3, 11, 1)


def test_sigmoid_focal_loss_matches_torchvision():
    from torchvision.ops import sigmoid_focal_loss as tv_focal
    logits = torch.randn(6, 4)
    target = torch.tensor([0, 3, 4, 1, 2, 4])  # 4 = background
    onehot = F.one_hot(target, 5)[:, :4].float()
    ours = compat.sigmoid_focal_loss(logits, target, 2.0, 0.25, reduction='none')
    assert torch.allclose(ours, tv_focal(logits, onehot, 0.25, 2.0, reduction='none'), atol=1e-6)
    assert torch.allclose(compat.sigmoid_focal_loss(logits, target), ours.sum() / 6)


def test_runner_checkpoint_objects_load_weights_only(tmp_path):
    import numpy as np
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(np.float64(1.5))
    ckpt = dict(meta=dict(seed=np.int64(3), arr=np.zeros(2)), message_hub=dict(log_scalars={'loss': buf}))
    path = tmp_path / 'ckpt.pth'
    torch.save(ckpt, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['message_hub']['log_scalars']['loss'].current() == 1.5


def test_weights_only_load_still_refuses_other_getattr(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return getattr, (dict, 'fromkeys')

    path = tmp_path / 'evil.pth'
    torch.save({'x': Evil()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
