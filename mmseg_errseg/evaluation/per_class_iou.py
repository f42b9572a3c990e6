"""MMSeg's IoU metric, keeping the per-class results it computes."""
from typing import Dict, List, Optional

import numpy as np
import torch
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

__all__ = ['PerClassIoUMetric']


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """:class:`mmseg.evaluation.IoUMetric` that also keeps per-class results.

    The summary (``mIoU``, ``mAcc``, ``aAcc``, in percent, rounded as MMSeg
    does) is what ``IoUMetric`` returns. After each evaluation,
    :attr:`per_class` holds the unrounded per-class arrays of the same
    computation: ``IoU`` and ``Acc`` in percent (NaN where the class occurs
    neither in the ground truth nor in the prediction, resp. not in the ground
    truth; MMSeg's means skip these), and the pixel counts ``intersect``,
    ``union``, ``pred`` and ``label``. Configure it as ``IoUMetric``
    (``ignore_index`` must be the dataset's).
    """

    default_prefix = ''  # keys as IoUMetric's (and no warning about a missing prefix)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.per_class: Optional[Dict[str, np.ndarray]] = None

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        if not self.format_only and results:
            # the same areas and formulas as IoUMetric, summed in float64
            areas = [torch.stack(column).double().sum(0) for column in zip(*results)]
            ret = self.total_area_to_metrics(*areas, ['mIoU'])
            intersect, union, pred, label = (a.numpy() for a in areas)
            self.per_class = dict(IoU=ret['IoU'] * 100, Acc=ret['Acc'] * 100, aAcc=float(ret['aAcc']) * 100,
                                  intersect=intersect, union=union, pred=pred, label=label)
        return super().compute_metrics(results)
