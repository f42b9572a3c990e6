"""Image -> kept-class logits (``ERRSeg.decode``), text embeddings cached."""
import pytest
import torch

from conftest import build
from mmseg_errseg.profiling import errseg_target
from mmseg_errseg.vocabularies import load_vocabulary


def _target(config, vocabulary, p):
    model = build(config)
    return errseg_target(model, load_vocabulary(vocabulary), p, model.crop_size)


@pytest.mark.parametrize('vocabulary,p', [('ade150', 32), ('ade847', 48)])
def test_tiny_forward(benchmark, vocabulary, p):
    target = _target('_base_/models/errseg_tiny.py', vocabulary, p)
    image = target.example_input()
    logits, kept = benchmark.pedantic(target.forward, (image,), rounds=20, warmup_rounds=2)
    assert logits.shape == (1, p, 16, 16) and kept.shape == (1, p)


@pytest.mark.slow
@pytest.mark.parametrize('vocabulary,p', [('ade150', 32), ('ade847', 48)])
def test_errseg_b_forward(benchmark, vocabulary, p):
    """ERR-Seg-B at 640x640 (seconds per call on a CPU): run with ``-m slow``."""
    target = _target('_base_/models/errseg_convnext-b.py', vocabulary, p)
    image = target.example_input()
    logits, _ = benchmark.pedantic(target.forward, (image,), rounds=3, warmup_rounds=1)
    assert logits.shape == (1, p, 160, 160) and torch.isfinite(logits).all()
