"""ERR-Seg-B-sized parts: class selection at A-847, one RRCA aggregation layer."""
import pytest
import torch

from mmseg_errseg.models import class_scores, select_classes
from mmseg_errseg.models.rrca import AggregationLayer


def test_class_selection_a847(benchmark):
    """Score and keep P=48 of T=847 classes on the os16 cost map (40x40)."""
    cost = torch.randn(1, 847, 40, 40)

    def select():
        return select_classes(class_scores(cost, top_k=3, score_lambda=0.1), 48)

    kept = benchmark.pedantic(select, rounds=20, warmup_rounds=2)
    assert kept.shape == (1, 48) and bool((kept.diff(dim=1) > 0).all())


@pytest.mark.parametrize('sr_ratio,class_pool', [(2, 2), (1, 1)], ids=['ssr+csr', 'no-reduction'])
def test_aggregation_layer_b(benchmark, sr_ratio, class_pool):
    """One RRCA layer at ERR-Seg-B dims (C=128, 4 heads, 40x40, P=32: A-150)."""
    layer = AggregationLayer(128, 4, sr_ratio, class_pool, 'star', 3, 0.0).eval()
    x = torch.randn(1, 32, 40, 40, 128)
    image_guidance, text_guidance = torch.randn(1, 40, 40, 128), torch.randn(1, 32, 128)
    out = benchmark.pedantic(layer, (x, image_guidance, text_guidance), rounds=5, warmup_rounds=1)
    assert out.shape == x.shape
