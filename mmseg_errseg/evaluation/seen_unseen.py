"""mIoU over the seen and the unseen classes of an evaluation vocabulary (paper Table 5).

A class is *seen* when its best cosine similarity to a training (COCO-Stuff-171) class name is >= a
threshold (paper: 0.95), else *unseen* (Sec. 4.2.1 says the reverse, evidently a slip: the classes met
in training are the seen ones). The split is a JSON file written by ``errseg similarity``:
``{"dataset", "train", "encoder", "threshold", "seen": [names], "unseen": [names]}``, names as in the
dataset's class list.
"""
import json
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Dict, Sequence, Tuple, Union

import numpy as np
from mmseg.registry import METRICS

from .per_class_iou import PerClassIoUMetric

__all__ = ['SeenUnseenSplit', 'seen_unseen_miou', 'SeenUnseenIoUMetric']


def _preview(names: Sequence[str], n: int = 5) -> str:
    return ', '.join(repr(x) for x in list(names)[:n]) + (f' and {len(names) - n} more' if len(names) > n else '')


def read_json(path: Path):
    """The parsed content of a JSON file, or one line naming the file."""
    try:
        return json.loads(path.read_text(encoding='utf-8'))
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from None


@dataclass(frozen=True)
class SeenUnseenSplit:
    """The seen and unseen classes of one evaluation vocabulary (the fields of the split file)."""

    dataset: str
    train: str
    encoder: str
    threshold: float
    seen: Tuple[str, ...]
    unseen: Tuple[str, ...]

    def __post_init__(self):
        for key in ('seen', 'unseen'):
            names = getattr(self, key)
            if isinstance(names, str) or not all(isinstance(n, str) for n in names):
                raise ValueError(f'split of {self.dataset!r}: {key!r} must be a list of class names')
            object.__setattr__(self, key, tuple(names))
        if not self.seen and not self.unseen:
            raise ValueError(f'split of {self.dataset!r} has no classes (both "seen" and "unseen" are empty)')
        keys = [n.strip() for n in self.seen + self.unseen]
        dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
        if dupes:
            raise ValueError(f'split of {self.dataset!r} lists classes more than once (or as both seen and '
                             f'unseen): {_preview(dupes)}')

    @classmethod
    def from_dict(cls, data: dict, source: str = 'split') -> 'SeenUnseenSplit':
        """Validate and build a split from its JSON object (``source`` names it in errors)."""
        missing = [f.name for f in fields(cls) if not isinstance(data, dict) or f.name not in data]
        if missing:
            raise ValueError(f'{source}: not a seen/unseen split file, missing keys {missing} '
                             '(split files are written by `errseg similarity`)')
        try:
            threshold = float(data['threshold'])
        except (TypeError, ValueError):
            raise ValueError(f'{source}: threshold must be a number, got {data["threshold"]!r}') from None
        return cls(str(data['dataset']), str(data['train']), str(data['encoder']), threshold,
                   data['seen'], data['unseen'])

    @classmethod
    def load(cls, spec: Union[str, Path, dict, 'SeenUnseenSplit']) -> 'SeenUnseenSplit':
        """A split from a JSON file, its parsed object, or a split."""
        if isinstance(spec, (SeenUnseenSplit, dict)):
            return spec if isinstance(spec, SeenUnseenSplit) else cls.from_dict(spec)
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f'seen/unseen split file {str(path)!r} does not exist '
                                    '(write one with `errseg similarity`)')
        return cls.from_dict(read_json(path), source=str(path))

    def to_dict(self) -> dict:
        """The JSON object of the split file."""
        return dict(asdict(self), seen=list(self.seen), unseen=list(self.unseen))

    def masks(self, classes: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
        """(seen, unseen) boolean masks over ``classes``, which the split must cover exactly (names compared
        without surrounding spaces, as the model's vocabulary does)."""
        if isinstance(classes, str) or len(classes) == 0:
            raise ValueError(f'cannot split an empty class list into seen/unseen (split of {self.dataset!r})')
        status = {**{n.strip(): True for n in self.seen}, **{n.strip(): False for n in self.unseen}}
        keys = [str(c).strip() for c in classes]
        unknown = [k for k in status if k not in set(keys)]
        uncovered = [k for k in keys if k not in status]
        if unknown or uncovered:
            parts = [f'{len(unknown)} names of the split are not in the class list ({_preview(unknown)})',
                     f'{len(uncovered)} classes are in neither "seen" nor "unseen" ({_preview(uncovered)})']
            parts = [p for p, bad in zip(parts, (unknown, uncovered)) if bad]
            raise ValueError(f'the seen/unseen split of {self.dataset!r} ({len(status)} classes) does not '
                             f'match the evaluated class list ({len(keys)} classes): {"; ".join(parts)}. '
                             'Use the split written for this dataset\'s class list.')
        seen = np.array([status[k] for k in keys], dtype=bool)
        return seen, ~seen


def seen_unseen_miou(classes: Sequence[str], iou: Sequence[float], split: SeenUnseenSplit) -> Dict[str, float]:
    """``seen`` and ``unseen`` mean IoU (NaN when no class of the subset occurs) of ``classes``, with
    ``num_seen`` / ``num_unseen`` (classes in each subset) and ``num_seen_valid`` / ``num_unseen_valid``
    (those that occur). ``iou``: per class, in any unit; NaN or None for a class that never occurs (left out,
    as in mIoU)."""
    iou = np.array([np.nan if v is None else v for v in iou], dtype=np.float64)
    if iou.shape != (len(classes),):
        raise ValueError(f'{len(classes)} classes but {iou.size} per-class IoU values')
    seen, unseen = split.masks(classes)
    valid = ~np.isnan(iou)
    out = {}
    for name, mask in (('seen', seen), ('unseen', unseen)):
        m = mask & valid
        out[name] = float(iou[m].mean()) if m.any() else float('nan')
        out[f'num_{name}'] = int(mask.sum())
        out[f'num_{name}_valid'] = int(m.sum())
    return out


@METRICS.register_module()
class SeenUnseenIoUMetric(PerClassIoUMetric):
    """:class:`PerClassIoUMetric`, plus ``mIoU_seen`` and ``mIoU_unseen`` (percent; NaN when no class occurs).

    Args:
        split: A split file, its parsed JSON object or a :class:`SeenUnseenSplit` of the dataset's classes.
        **kwargs: :class:`IoUMetric` arguments (``ignore_index``, ...).
    """

    def __init__(self, split: Union[str, dict, SeenUnseenSplit], **kwargs):
        super().__init__(**kwargs)
        self.split = SeenUnseenSplit.load(split)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        if not self.format_only:  # per_class: the IoU of the classes in the ground truth, as seen_unseen_miou
            sub = seen_unseen_miou(self.dataset_meta['classes'], self.per_class['IoU'], self.split)
            metrics.update(mIoU_seen=round(sub['seen'], 2), mIoU_unseen=round(sub['unseen'], 2))
        return metrics
