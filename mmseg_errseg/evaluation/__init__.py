"""Evaluation: per-class IoU metric, seen/unseen metric, metrics records, open-vocabulary evaluation runs."""
from .class_overlap import ClassOverlapMetric
from .evaluate import build_eval_config, evaluate, format_summary, load_checked_state
from .per_class_iou import PerClassIoUMetric
from .records import config_hash, environment_info, eval_record, write_json_atomic
from .seen_unseen import SeenUnseenIoUMetric, SeenUnseenSplit, seen_unseen_miou

__all__ = [
    'ClassOverlapMetric', 'PerClassIoUMetric', 'build_eval_config', 'evaluate', 'format_summary',
    'load_checked_state', 'config_hash', 'environment_info', 'eval_record', 'write_json_atomic', 'SeenUnseenIoUMetric', 'SeenUnseenSplit',
    'seen_unseen_miou'
]
