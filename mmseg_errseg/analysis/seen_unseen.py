"""Table 5's measurement: mIoU on seen and unseen classes, from the evaluation records ``errseg test`` writes
(``"kind": "eval"``, ``dataset``, ``classes``, ``per_class.IoU`` in percent, null for a class that never
occurs) and the split files ``errseg similarity`` writes. The table is a view (``mmseg_errseg.views``).
"""
import re
from pathlib import Path
from typing import Dict, Iterable, List, Union

from ..evaluation.seen_unseen import SeenUnseenSplit, read_json, seen_unseen_miou

__all__ = ['check_eval_record', 'load_eval_records', 'load_splits', 'record_seen_unseen', 'model_label']

PathLike = Union[str, Path]


def check_eval_record(record: dict, source: str = 'record') -> dict:
    """The record, once the fields Table 5 reads are valid (``source`` names it in errors)."""
    if not isinstance(record, dict) or record.get('kind') != 'eval':
        raise ValueError(f'{source}: not an evaluation record (expected a JSON object with "kind": "eval", '
                         'as `errseg test` writes)')
    for key in ('dataset', 'classes', 'per_class'):
        if key not in record:
            raise ValueError(f'{source}: evaluation record without {key!r}')
    classes = record['classes']
    if not isinstance(classes, list) or not classes:
        raise ValueError(f'{source}: the record\'s class list is empty; per-class IoU needs the evaluated class names')
    iou = record['per_class'].get('IoU') if isinstance(record['per_class'], dict) else None
    if not isinstance(iou, list) or len(iou) != len(classes):
        got = len(iou) if isinstance(iou, list) else type(iou).__name__
        raise ValueError(f'{source}: per_class.IoU must list one value (or null) per class: '
                         f'{len(classes)} classes, got {got}')
    return record


def _json_files(paths: Iterable[PathLike]):
    for p in map(Path, paths):
        if p.is_dir():
            yield from ((f, False) for f in sorted(p.rglob('*.json')))
        elif p.is_file():
            yield p, True
        else:
            raise FileNotFoundError(f'{str(p)!r}: no such file or folder')


def load_eval_records(paths: Iterable[PathLike]) -> List[dict]:
    """Evaluation records, each with ``'_source'`` (its path), from files and folders (searched recursively).

    In folders, JSON files that are not evaluation records are skipped; a file named explicitly must be one.
    """
    loaded = ((str(path), explicit, read_json(path)) for path, explicit in _json_files(paths))
    return [{**check_eval_record(data, path), '_source': path} for path, explicit, data in loaded
            if explicit or (isinstance(data, dict) and data.get('kind') == 'eval')]


def load_splits(paths: Iterable[PathLike]) -> Dict[str, SeenUnseenSplit]:
    """Dataset key -> seen/unseen split, from files and folders (``split_*.json`` in folders)."""
    splits: Dict[str, SeenUnseenSplit] = {}
    sources: Dict[str, Path] = {}
    for path in (p for p, explicit in _json_files(paths) if explicit or p.name.startswith('split_')):
        split = SeenUnseenSplit.from_dict(read_json(path), source=str(path))
        if split.dataset in splits:
            raise ValueError(f'two splits for {split.dataset!r}: {sources[split.dataset]} and {path}; give one')
        splits[split.dataset], sources[split.dataset] = split, path
    return splits


def record_seen_unseen(record: dict, split: SeenUnseenSplit) -> Dict[str, float]:
    """Seen and unseen mIoU (percent, :func:`~mmseg_errseg.evaluation.seen_unseen.seen_unseen_miou`) of a record."""
    source = record.get('_source', 'record')
    check_eval_record(record, source)
    if record['dataset'] != split.dataset:
        raise ValueError(f'{source}: the record is for {record["dataset"]!r} but the split is for '
                         f'{split.dataset!r}')
    try:
        return seen_unseen_miou(record['classes'], record['per_class']['IoU'], split)
    except ValueError as e:
        raise ValueError(f'{source}: {e}') from None


def model_label(record: dict) -> str:
    """The model of a record: its config's ``method_backbone`` (MMSeg's config naming: ``errseg_convnext-b``
    on every benchmark), else its checkpoint's stem, or its folder's for MMEngine's ``iter_N``, ``epoch_N``,
    ``best_*`` stems (``work_dirs/run/iter_6.pth``: ``run``)."""
    stem = Path(str(record.get('config') or '')).stem
    if '_' in stem:
        return '_'.join(stem.split('_')[:2])
    checkpoint = Path(str(record.get('checkpoint') or ''))
    generic = re.fullmatch(r'(iter|epoch)_\d+|best_.*|latest', checkpoint.stem)
    return (checkpoint.parent.name if generic else checkpoint.stem) or stem or 'ours'
