"""Classes per image: labelled, predicted, and both (paper Table 9's "#Classes")."""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmseg.registry import METRICS

__all__ = ['ClassOverlapMetric']


@METRICS.register_module()
class ClassOverlapMetric(BaseMetric):
    """Mean number of classes per image: labelled, predicted, and overlapping (Table 9).

    Over an image's pixels that are not at ``ignore_index``, a class overlaps when at least one
    pixel is both predicted and labelled as it (the paper's "predicted classes that overlap with
    the ground truth"). Reports ``mean_gt_classes``, ``mean_pred_classes``, ``mean_overlap_classes``;
    use it beside MMSeg's ``IoUMetric`` in a ``test_evaluator`` list.
    """

    default_prefix = ''  # keys as they are (and no warning about a missing prefix)

    def __init__(self, ignore_index: int = 255, **kwargs) -> None:
        super().__init__(**kwargs)  # collect_device, prefix
        self.ignore_index = ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:  # one image each, as MMSeg's IoUMetric
            pred = sample['pred_sem_seg']['data'].squeeze().long()
            label = sample['gt_sem_seg']['data'].squeeze().to(pred)
            valid = (label != self.ignore_index) & (label >= 0) & (label < num_classes)
            gt = torch.bincount(label[valid], minlength=num_classes)
            hit = torch.bincount(label[valid & (pred == label)], minlength=num_classes)
            predicted = pred[valid]
            predicted = torch.bincount(predicted[(predicted >= 0) & (predicted < num_classes)], minlength=num_classes)
            self.results.append(torch.stack([(gt > 0).sum(), (predicted > 0).sum(), (hit > 0).sum()]).cpu())

    def compute_metrics(self, results: List[torch.Tensor]) -> Dict[str, float]:
        if not results:
            raise ValueError('ClassOverlapMetric: no image was evaluated')
        gt, pred, overlap = torch.stack(results).double().mean(0).tolist()
        return dict(mean_gt_classes=float(gt), mean_pred_classes=float(pred), mean_overlap_classes=float(overlap))
