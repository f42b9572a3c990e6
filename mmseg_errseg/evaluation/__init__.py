"""Evaluation: the official per-class IoU, seen/unseen and class-overlap metrics, open-vocabulary evaluation runs."""
from .class_overlap import ClassOverlapMetric
from .evaluate import build_eval_config, eval_record, evaluate, format_summary
from .per_class_iou import PerClassIoUMetric
from .seen_unseen import SeenUnseenIoUMetric, SeenUnseenSplit, seen_unseen_miou

__all__ = ['ClassOverlapMetric', 'PerClassIoUMetric', 'build_eval_config', 'evaluate', 'format_summary', 'eval_record',
           'SeenUnseenIoUMetric', 'SeenUnseenSplit', 'seen_unseen_miou']
