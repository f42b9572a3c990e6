from .seen_unseen import SeenUnseenIoUMetric, SeenUnseenSplit, seen_unseen_miou

__all__ = ['SeenUnseenIoUMetric', 'SeenUnseenSplit', 'seen_unseen_miou']
