"""ClassOverlapMetric (Table 9's #Classes): hand-checked counts, and in evaluation records."""
import pytest
import torch

from mmseg_errseg.evaluation import ClassOverlapMetric


def _run(classes, ignore_index, pairs):
    metric = ClassOverlapMetric(ignore_index=ignore_index)
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, [dict(pred_sem_seg=dict(data=torch.tensor([p])), gt_sem_seg=dict(data=torch.tensor([g])))
                        for p, g in pairs])
    return metric.compute_metrics(metric.results)


def test_hand_checked_counts():
    # image 1: labelled {a, b}; predicted on labelled pixels {a, b, c}; overlapping {a} (b is predicted where
    # a is labelled, not where b is); the ignored pixel's prediction does not count.
    # image 2: labelled {c}; predicted {c, a}; overlapping {c}.
    out = _run(('a', 'b', 'c'), 255, [([[0, 1, 2, 1]], [[0, 0, 1, 255]]), ([[2, 0]], [[2, 2]])])
    assert out == dict(mean_gt_classes=1.5, mean_pred_classes=2.5, mean_overlap_classes=1.0)


def test_16bit_ids_and_ignore():
    classes = tuple(f'c{i}' for i in range(300))
    # 255 is a class here, 65535 the ignore label
    out = _run(classes, 65535, [([[299, 255, 7, 7]], [[299, 255, 255, 65535]])])
    assert out == dict(mean_gt_classes=2.0, mean_pred_classes=3.0, mean_overlap_classes=2.0)


def test_no_image_is_an_error():
    metric = ClassOverlapMetric()
    metric.dataset_meta = dict(classes=('a',))
    with pytest.raises(ValueError, match='no image'):
        metric.compute_metrics([])
