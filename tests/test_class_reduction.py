"""Redundant class reduction (Eqs. 4-5): scores, P, top-k, lambda, GT-first, gathers."""
import pytest
import torch

from mmseg_errseg.models import class_scores, gather_classes, scatter_classes, select_classes


def _cost_from_rankings(rankings, t):
    """A (1, T, 1, N) cost map whose per-pixel class ranking is given (best first)."""
    cost = torch.zeros(1, t, 1, len(rankings))
    for j, order in enumerate(rankings):
        for r, c in enumerate(order):
            cost[0, c, 0, j] = 10.0 - r
    return cost


def test_scores_are_rank_weighted_votes():
    # pixel 0 ranks 2 > 0 > 1 > 3; pixel 1 ranks 2 > 1 > 3 > 0; pixel 2 ranks 3 > 2 > 0 > 1
    cost = _cost_from_rankings([[2, 0, 1, 3], [2, 1, 3, 0], [3, 2, 0, 1]], t=4)
    scores = class_scores(cost, top_k=3, score_lambda=0.1)
    # class 0: rank2 + rank3 -> 0.1 + 0.01; class 1: rank3 + rank2 -> 0.01 + 0.1;
    # class 2: 1 + 1 + 0.1; class 3: 0.01 + 1
    expected = torch.tensor([[0.11, 0.11, 2.1, 1.01]])
    assert torch.allclose(scores, expected, atol=1e-6)
    assert scores.dtype == torch.float32


@pytest.mark.parametrize('k,lam,expected', [
    (1, 0.1, [0.0, 0.0, 2.0, 1.0]),
    (2, 0.5, [0.5, 0.5, 2.5, 1.0]),
    (10, 0.1, [0.111, 0.111, 2.1, 1.011]),  # k is clamped to T = 4
])
def test_top_k_and_lambda(k, lam, expected):
    cost = _cost_from_rankings([[2, 0, 1, 3], [2, 1, 3, 0], [3, 2, 0, 1]], t=4)
    assert torch.allclose(class_scores(cost, k, lam), torch.tensor([expected]), atol=1e-6)


def test_select_keeps_p_best_sorted_by_index():
    scores = torch.tensor([[0.5, 3.0, 0.1, 2.0, 1.0], [9.0, 0.0, 8.0, 0.5, 0.2]])
    assert select_classes(scores, 3).tolist() == [[1, 3, 4], [0, 2, 3]]
    assert select_classes(scores, 5).tolist() == [[0, 1, 2, 3, 4]] * 2


def test_gt_first_then_top_scoring_in_index_order():
    scores = torch.tensor([[0.1, 5.0, 0.2, 0.3, 9.0, 1.0, 0.05]])
    gt = torch.zeros(1, 7, dtype=torch.bool)
    gt[0, [2, 5]] = True
    # official: gt (2, 5), then the non-gt classes of the top-P in index order, truncated to P
    assert select_classes(scores, 3, gt).tolist() == [[1, 2, 5]]     # top-3 {1, 4, 5}: 1 before 4
    assert select_classes(scores, 4, gt).tolist() == [[1, 2, 3, 5]]  # top-4 {1, 3, 4, 5}: 3 beats 4
    assert select_classes(scores, 2, gt).tolist() == [[2, 5]]


def test_more_gt_classes_than_p_keeps_the_first_gt_classes():
    scores = torch.arange(6.0)[None]
    gt = torch.tensor([[True, False, True, True, False, True]])
    assert select_classes(scores, 2, gt).tolist() == [[0, 2]]


def _reference_select(scores, p, gt):
    """Per-image transcription of the official rule, for comparison with the batched code."""
    out = []
    for b in range(scores.shape[0]):
        top = sorted(scores[b].topk(p).indices.tolist())
        g = gt[b].nonzero().flatten().tolist()
        out.append(sorted((g + [c for c in top if c not in g])[:p]))
    return out


def test_batched_selection_matches_per_image_rule():
    torch.manual_seed(0)
    scores = torch.rand(5, 30)
    gt = torch.rand(5, 30) < 0.15
    for p in (1, 4, 12, 30):
        assert select_classes(scores, p, gt).tolist() == _reference_select(scores, p, gt)


def test_invalid_p_is_rejected():
    with pytest.raises(ValueError, match=r'num_selected must be in \[1, 4\]'):
        select_classes(torch.rand(1, 4), 5)
    with pytest.raises(ValueError, match='num_selected'):
        select_classes(torch.rand(1, 4), 0)


def test_gather_and_scatter_round_trip_with_gradient():
    x = torch.randn(2, 6, 3, 3, requires_grad=True)
    kept = torch.tensor([[0, 2, 5], [1, 3, 4]])
    sub = gather_classes(x, kept)
    assert torch.equal(sub[1, 2], x[1, 4])
    full = scatter_classes(sub, kept, 6, fill=-100.0)
    assert torch.equal(full[0, 1], torch.full((3, 3), -100.0))
    assert torch.equal(full[1, 3], x[1, 3])
    full.sum().backward()
    assert torch.equal(x.grad[0, :, 0, 0], torch.tensor([1., 0, 1, 0, 0, 1]))
