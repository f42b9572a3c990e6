"""MMSeg's IoU metric with the official mean, keeping the per-class results it computes."""
from typing import Dict, List, Optional

import numpy as np
import torch
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

__all__ = ['PerClassIoUMetric']


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """:class:`mmseg.evaluation.IoUMetric` with the official mIoU, keeping per-class results.

    As detectron2's ``SemSegEvaluator`` (ERR-Seg's, CAT-Seg's): a class's IoU is defined only when it occurs
    in the ground truth, and ``mIoU`` averages those (MMSeg's also averages the zero IoU of classes only
    predicted, lowering mIoU on A-847 and PC-459); ``mAcc`` and ``aAcc`` are the same. The summary is
    ``IoUMetric``'s; after each evaluation :attr:`per_class` holds (in the first process, which computes the
    metrics of all) the unrounded ``IoU`` and ``Acc`` (percent, NaN where the class is not in the ground
    truth), ``aAcc`` and the pixel counts ``intersect``, ``union``, ``pred`` and ``label``.
    """

    default_prefix = ''  # keys as IoUMetric's (and no warning about a missing prefix)
    per_class: Optional[Dict[str, np.ndarray]] = None

    @staticmethod
    def total_area_to_metrics(total_area_intersect, total_area_union, total_area_pred_label,
                              total_area_label, metrics=('mIoU',), nan_to_num=None, beta=1):
        """``IoUMetric``'s per-class metrics, with IoU undefined for classes absent from the ground truth."""
        ret = IoUMetric.total_area_to_metrics(total_area_intersect, total_area_union, total_area_pred_label,
                                              total_area_label, list(metrics), None, beta)
        if 'IoU' in ret:
            iou = np.array(ret['IoU'], dtype=np.float64)
            iou[np.asarray(total_area_label) == 0] = np.nan
            ret['IoU'] = iou
        if nan_to_num is not None:
            ret = {k: np.nan_to_num(v, nan=nan_to_num) for k, v in ret.items()}
        return ret

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        if not self.format_only and results:
            # the same areas and formulas as IoUMetric, summed in float64
            areas = [torch.stack(column).double().sum(0) for column in zip(*results)]
            ret = self.total_area_to_metrics(*areas, ['mIoU'])
            intersect, union, pred, label = (a.numpy() for a in areas)
            self.per_class = dict(IoU=ret['IoU'] * 100, Acc=ret['Acc'] * 100, aAcc=float(ret['aAcc']) * 100,
                                  intersect=intersect, union=union, pred=pred, label=label)
        return super().compute_metrics(results)
