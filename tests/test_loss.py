"""The official BCE loss, computed on the kept classes only."""
import pytest
import torch
import torch.nn.functional as F

from mmseg_errseg.models import errseg_bce_loss, scatter_classes


def _official(kept_logits, kept, labels, t, ignore=255, exclude=False):
    """The official computation: full T maps filled with -100, resized, one-hot BCE mean."""
    full = scatter_classes(kept_logits, kept, t, -100.0)
    full = F.interpolate(full, size=labels.shape[-2:], mode='bilinear', align_corners=False)
    full = full.permute(0, 2, 3, 1)
    mask = labels != ignore
    target = torch.zeros_like(full)
    target[mask] = F.one_hot(labels[mask], t).float()
    if not exclude:
        return F.binary_cross_entropy_with_logits(full, target)
    return F.binary_cross_entropy_with_logits(full[mask], target[mask])


@pytest.mark.parametrize('exclude', [False, True])
def test_equals_official_formula(exclude):
    torch.manual_seed(0)
    t, p = 9, 4
    kept = torch.tensor([[0, 2, 5, 7], [1, 2, 3, 8]])
    logits = torch.randn(2, p, 5, 5, requires_grad=True)
    labels = torch.randint(0, t, (2, 20, 20))
    labels[:, :3] = 255                   # ignored pixels
    labels[0, 5:7, 5:7] = 4               # a labelled class that was not kept ("missed")
    ours = errseg_bce_loss(logits, kept, labels, t, exclude_ignore=exclude)
    ref = _official(logits, kept, labels, t, exclude=exclude)
    assert torch.allclose(ours, ref, rtol=1e-5, atol=1e-6)
    g_ours, = torch.autograd.grad(ours, logits)
    g_ref, = torch.autograd.grad(_official(logits, kept, labels, t, exclude=exclude), logits)
    assert torch.allclose(g_ours, g_ref, rtol=1e-4, atol=1e-9)


def test_missed_class_costs_100_per_pixel():
    kept = torch.tensor([[0]])
    logits = torch.full((1, 1, 2, 2), -100.0)
    labels = torch.ones(1, 2, 2, dtype=torch.long)  # class 1 everywhere, never kept
    loss = errseg_bce_loss(logits, kept, labels, num_classes=2)
    assert loss.item() == pytest.approx(100.0 / 2, rel=1e-5)  # 4 pixels x 100 / (4 x 2)
