"""Table 5: mIoU on seen and unseen classes, from evaluation records and split files.

Evaluation records are the JSON files ``errseg test`` writes (``"kind": "eval"``,
``dataset``, ``classes``, ``per_class.IoU`` in percent with null for a class
that never occurs); split files are those ``errseg similarity`` writes. A
table cell we cannot compute says why (no record, no split, no class of the
subset occurs) instead of holding a number.
"""
import json
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Union

import numpy as np
import pandas as pd

from mmseg_errseg.evaluation.seen_unseen import SeenUnseenSplit, seen_unseen_miou

from ..utils import write_text
from .paper_figures import PAPER_TABLE5, dataset_label

__all__ = ['TABLE5_DATASETS', 'SUBSETS', 'check_eval_record', 'load_eval_records', 'load_splits',
           'record_seen_unseen', 'model_label', 'table5', 'table5_markdown', 'write_table5']

#: The benchmarks of the paper's Table 5, in its column order.
TABLE5_DATASETS = ('ade847', 'pc459', 'ade150')
SUBSETS = ('seen', 'unseen')
PathLike = Union[str, Path]


def check_eval_record(record: dict, source: str = 'record') -> dict:
    """Validate the fields of an evaluation record that Table 5 reads.

    Args:
        record: The parsed JSON.
        source: Where it came from, for error messages.

    Returns:
        The record.
    """
    if not isinstance(record, dict) or record.get('kind') != 'eval':
        raise ValueError(f'{source}: not an evaluation record (expected a JSON object with "kind": "eval", '
                         'as `errseg test` writes)')
    for key in ('dataset', 'classes', 'per_class'):
        if key not in record:
            raise ValueError(f'{source}: evaluation record without {key!r}')
    classes = record['classes']
    if not isinstance(classes, list) or not classes:
        raise ValueError(f'{source}: the record\'s class list is empty; per-class IoU needs the evaluated '
                         'class names')
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


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding='utf-8'))
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from None


def load_eval_records(paths: Iterable[PathLike]) -> List[dict]:
    """Evaluation records from files and folders (searched recursively).

    In folders, JSON files that are not evaluation records are skipped; a file
    named explicitly must be one.

    Args:
        paths: Record files or folders.

    Returns:
        The records, each with ``'_source'`` (its path) added.
    """
    records = []
    for path, explicit in _json_files(paths):
        data = _read_json(path)
        if not explicit and not (isinstance(data, dict) and data.get('kind') == 'eval'):
            continue
        records.append({**check_eval_record(data, str(path)), '_source': str(path)})
    return records


def load_splits(paths: Iterable[PathLike]) -> Dict[str, SeenUnseenSplit]:
    """Seen/unseen splits from files and folders (``split_*.json`` in folders).

    Args:
        paths: Split files or folders.

    Returns:
        Dataset key -> split.
    """
    splits: Dict[str, SeenUnseenSplit] = {}
    sources: Dict[str, Path] = {}
    for path, explicit in _json_files(paths):
        if not explicit and not path.name.startswith('split_'):
            continue
        split = SeenUnseenSplit.from_dict(_read_json(path), source=str(path))
        if split.dataset in splits:
            raise ValueError(f'two splits for {split.dataset!r}: {sources[split.dataset]} and {path}; '
                             'give one')
        splits[split.dataset], sources[split.dataset] = split, path
    return splits


def record_seen_unseen(record: dict, split: SeenUnseenSplit) -> Dict[str, float]:
    """Seen and unseen mIoU (percent) of one evaluation record.

    Args:
        record: An evaluation record (see :func:`check_eval_record`).
        split: The split of the record's dataset.

    Returns:
        See :func:`mmseg_errseg.evaluation.seen_unseen.seen_unseen_miou`.
    """
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
    """A short name for the model of a record: its checkpoint's file stem, else its config's."""
    for key in ('checkpoint', 'config'):
        if record.get(key):
            return Path(str(record[key])).stem
    return 'ours'


def _cell(model, dataset, subset, value=np.nan, note='', **extra):
    return dict(model=model, dataset=dataset, subset=subset, mIoU=value, note=note, **extra)


def table5(records: Sequence[dict], splits: Dict[str, SeenUnseenSplit],
           datasets: Sequence[str] = TABLE5_DATASETS, paper: bool = True) -> pd.DataFrame:
    """Table 5 in long form: one row per (model, dataset, subset).

    Models are the records' (see :func:`model_label`); per model and dataset
    the newest record (by ``created``) is used. The paper's rows follow ours.

    Args:
        records: Evaluation records (other datasets are ignored).
        splits: Dataset key -> split.
        datasets: Table columns.
        paper: Add the paper's figures (labelled ``<method> (paper)``).

    Returns:
        Columns ``model``, ``dataset``, ``subset``, ``mIoU`` (NaN where not
        computed), ``note`` (why not, or the source), ``classes``,
        ``classes_present``, ``encoder``, ``threshold``, ``record``.
    """
    newest: Dict[tuple, dict] = {}
    models: List[str] = []
    for rec in records:
        if rec.get('dataset') not in datasets:
            continue
        model = model_label(rec)
        if model not in models:
            models.append(model)
        key = (model, rec['dataset'])
        if key not in newest or str(rec.get('created', '')) >= str(newest[key].get('created', '')):
            newest[key] = rec
    rows = []
    for model in models or ['ours']:
        for ds in datasets:
            rec, split = newest.get((model, ds)), splits.get(ds)
            if rec is None or split is None:
                why = ' and '.join(w for w, missing in (('no eval record', rec is None),
                                                        ('no split file', split is None)) if missing)
                rows += [_cell(model, ds, s, note=why) for s in SUBSETS]
                continue
            res = record_seen_unseen(rec, split)
            for s in SUBSETS:
                present = res[f'num_{s}_valid']
                note = rec.get('_source', '') if present else f'no {s} class occurs'
                if not res[f'num_{s}']:
                    note = f'no {s} class at threshold {split.threshold:g}'
                rows.append(_cell(model, ds, s, res[s], note, classes=res[f'num_{s}'], classes_present=present,
                                  encoder=split.encoder, threshold=split.threshold,
                                  record=rec.get('_source')))
    if paper:
        for method, figures in PAPER_TABLE5.items():
            for ds in datasets:
                for s in SUBSETS:
                    value = figures.get(ds, {}).get(s, np.nan)
                    rows.append(_cell(f'{method} (paper)', ds, s, value,
                                      "paper's Table 5" if value == value else 'not in the paper'))
    frame = pd.DataFrame(rows)
    for col in ('classes', 'classes_present', 'encoder', 'threshold', 'record'):
        if col not in frame:
            frame[col] = np.nan
    return frame[['model', 'dataset', 'subset', 'mIoU', 'note', 'classes', 'classes_present', 'encoder',
                  'threshold', 'record']]


def table5_markdown(frame: pd.DataFrame) -> str:
    """Table 5 in the paper's layout (rows: models; columns: dataset x seen/unseen) as Markdown."""
    datasets = list(dict.fromkeys(frame['dataset']))
    models = list(dict.fromkeys(frame['model']))
    cells = {(r.model, r.dataset, r.subset): (f'{r.mIoU:.1f}' if r.mIoU == r.mIoU else f'n/a: {r.note}')
             for r in frame.itertuples()}
    columns = [f'{dataset_label(d)} {s}' for d in datasets for s in SUBSETS]
    table = pd.DataFrame([[cells.get((m, d, s), '') for d in datasets for s in SUBSETS] for m in models],
                         index=pd.Index(models, name='model'), columns=columns)
    ours = frame[~frame['model'].str.endswith('(paper)')]
    encoders = ', '.join(f'`{e}`' for e in ours['encoder'].dropna().unique()) or 'none'
    thresholds = ', '.join(f'{t:g}' for t in ours['threshold'].dropna().unique()) or 'none'
    lines = [
        '### Table 5: mIoU on seen and unseen classes',
        '',
        'A class is seen when its best label similarity to a COCO-Stuff class is >= the threshold, unseen '
        'otherwise; mIoU over the classes of each subset that occur in the evaluation.',
        f'**Ours**: splits from text encoder {encoders}, threshold {thresholds}. '
        "**Paper's** rows: its Table 5 (threshold 0.95, its own text encoder). Different encoders give "
        'different splits.',
        '',
        table.to_markdown(disable_numparse=True),
        '',
    ]
    return '\n'.join(lines)


def write_table5(frame: pd.DataFrame, out_dir: PathLike) -> Dict[str, Path]:
    """Write ``table5.csv`` (long form) and ``table5.md`` (paper layout) atomically."""
    out = Path(out_dir)
    return {'csv': write_text(out / 'table5.csv', frame.to_csv(index=False, float_format='%.4f')),
            'md': write_text(out / 'table5.md', table5_markdown(frame))}
