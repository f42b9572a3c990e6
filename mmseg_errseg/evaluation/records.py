"""Evaluation records: one JSON per evaluation run."""
import datetime
import math
from typing import Any, Dict, Optional, Sequence

import numpy as np

__all__ = ['eval_record']


def _finite_or_none(values: Sequence[float]):
    return [None if not math.isfinite(float(v)) else float(v) for v in values]


def eval_record(dataset: str, classes: Sequence[str], per_class: Dict[str, np.ndarray], *,
                num_selected: int, crop_size: Sequence[int], config: str, cfg_hash: str,
                checkpoint: str, environment: Dict[str, str], **extra) -> Dict[str, Any]:
    """The metrics record of one evaluation run.

    Args:
        dataset: Benchmark name (``ade847``).
        classes: The class names, in label order.
        per_class: :attr:`PerClassIoUMetric.per_class` of the run.
        num_selected: Test-time P used.
        crop_size: (H, W) the model ran at.
        config: The config path as given.
        cfg_hash: :func:`~mmseg_errseg.utils.config_hash` of the resolved config.
        checkpoint: The checkpoint path as given.
        environment: :func:`~mmseg_errseg.utils.environment_info`.
        **extra: More keys (e.g. ``num_images``, ``data_root``).

    Returns:
        ``{"kind": "eval", "dataset", "classes", "metrics": {"mIoU", "mAcc",
        "aAcc"} (percent), "per_class": {"IoU", "Acc"} (percent, ``None`` for a
        class not in the ground truth, as the official evaluator), "area": pixel counts
        {"intersect", "union", "pred", "label"}, "num_selected", "crop_size",
        "config", "config_hash", "checkpoint", "environment", "created", ...}``.
        ``mIoU``/``mAcc`` are the means over the non-null per-class values.
    """
    iou, acc = np.asarray(per_class['IoU'], float), np.asarray(per_class['Acc'], float)
    if len(iou) != len(classes):
        raise ValueError(f'{len(iou)} per-class results for {len(classes)} classes')

    def mean(v):
        return float(np.nanmean(v)) if np.isfinite(v).any() else None

    return dict(
        kind='eval', dataset=dataset, classes=list(classes),
        metrics=dict(mIoU=mean(iou), mAcc=mean(acc), aAcc=float(per_class['aAcc'])),
        per_class=dict(IoU=_finite_or_none(iou), Acc=_finite_or_none(acc)),
        area={k: [int(round(float(x))) for x in per_class[k]] for k in ('intersect', 'union', 'pred', 'label')},
        num_selected=int(num_selected), crop_size=[int(s) for s in crop_size], config=str(config),
        config_hash=cfg_hash, checkpoint=str(checkpoint), environment=environment,
        created=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec='seconds'),
        **extra)
