"""Cells: the value of each (row, column) of an experiment, read from the records that measured it, or why not.

Ratio columns (``Column.per_row``, ``per_baseline``) divide two measurements of one device, never ours by the
paper's.
"""
import math
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from ..analysis.seen_unseen import record_seen_unseen
from ..evaluation.seen_unseen import SeenUnseenSplit
from ..harness.experiments import Column, Experiment, Variant
from ..profiling.components import AGGREGATOR_COMPONENTS

__all__ = ['Lookup', 'plan_lookup', 'profile_metrics', 'experiment_cells']

#: (row index, row, column) -> (the results of the cell's records, or None; why not, or the mark of records
#: served though not current (stale under --accept-stale, made with uncommitted changes); record names).
Lookup = Callable[[int, Variant, Column], Tuple[Optional[List[dict]], Optional[str], Tuple[str, ...]]]


def _finite(value) -> Optional[float]:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _sum(parts: Mapping, names: Sequence[str]) -> Optional[float]:
    return sum(parts[c] for c in names) if all(c in parts for c in names) else None


def profile_metrics(record: Mapping) -> Dict[str, Optional[float]]:
    """What tables read from a profile record (``None`` where it holds none): ``gflops``, ``visual_gflops``,
    ``decoder_gflops``, ``aggregator_gflops``, ``params_m``, ``memory_gib`` (inference), ``aggregator_memory_gib``
    (a training step of the aggregator, explicit attention), ``latency_ms``, ``aggregator_ms``."""
    def scaled(value, unit):
        return None if value is None else value / unit

    flops = record.get('flops') or {}
    comps = flops.get('by_component', {})
    total, visual = flops.get('total'), comps.get('CLIP visual')
    return dict(gflops=scaled(total, 1e9), visual_gflops=scaled(visual, 1e9),
                decoder_gflops=None if None in (total, visual) else (total - visual) / 1e9,
                aggregator_gflops=scaled(_sum(comps, AGGREGATOR_COMPONENTS), 1e9),
                params_m=_finite((record.get('params') or {}).get('total', float('nan')) / 1e6),
                memory_gib=scaled((record.get('memory') or {}).get('delta'), 2 ** 30),
                aggregator_memory_gib=scaled((record.get('aggregator_memory') or {}).get('delta'), 2 ** 30),
                latency_ms=(record.get('latency') or {}).get('median_ms'),
                aggregator_ms=_sum(record.get('component_latency_ms') or {}, AGGREGATOR_COMPONENTS))


def _read(column: Column, metric: str, dataset: Optional[str], results: List[dict],
          resolve: Callable[[str], Path]) -> Tuple[Optional[float], str]:
    """Value of a metric from the result(s) of a cell's records; (None, why) if they do not hold it."""
    result, source = results[0], column.source
    if source == 'eval':
        return _finite(result.get('metrics', {}).get(metric)), f'the evaluation record has no finite {metric}'
    if source == 'profile':
        value = _finite(profile_metrics(result)[metric])
        if value is None or not column.per_baseline:
            return value, f'the profile record has no {metric}'
        if (base := (result.get('baselines') or {}).get(column.per_baseline)) is None:
            return None, f'the profile record has no {column.per_baseline} baseline measured in the same run'
        ref = _finite(profile_metrics(base)[metric])
        return (value / ref if ref else None), f'the {column.per_baseline} baseline has no {metric}'
    if source == 'dataset_stats':
        return _finite(result['rows'][0].get(metric)), f'no {metric} in the statistics record'
    if source == 'similarity':
        row = next((r for r in result['table2'] if r.get('vocabulary') == dataset), None)
        return (_finite(row.get(metric)) if row else None), f'no {metric} for {dataset} in the similarity record'
    if source == 'seen_unseen':
        split = results[1]['splits'][dataset]
        split = SeenUnseenSplit.load(split if isinstance(split, SeenUnseenSplit) else str(resolve(split)))
        return _finite(record_seen_unseen(result, split)[metric]), f'no {metric} class occurs in the evaluation'
    raise ValueError(f'unknown column source {source!r}')


def plan_lookup(plan, store, why_missing: Callable[[str], str]) -> Lookup:
    """The :data:`Lookup` of the records each cell's runs have in the plan (``why_missing``: the reason a run
    has no record: blocked, failed, not run)."""
    def lookup(i: int, variant: Variant, column: Column):
        exp = next(e for e in plan.experiments if any(v is variant for v in e.variants))
        cell = plan.cell(exp, i, column)
        if cell.reason:
            return None, cell.reason, ()
        if missing := [k for k in cell.runs if store.get(k) is None]:
            return None, f'no record: {why_missing(missing[0])}', ()
        marks = '; '.join(m for m in map(store.mark, cell.runs) if m)  # served but not current: say so
        return ([store.get(k)['result'] for k in cell.runs], marks or None,
                tuple(store.relative(store.path(k)) for k in cell.runs))
    return lookup


def experiment_cells(experiment: Experiment, lookup: Lookup, resolve: Callable[[str], Path] = Path,
                     smoke: bool = False) -> pd.DataFrame:
    """Every cell of an experiment in long form (one row per variant and column).

    Args:
        lookup: Where each cell's records come from (:func:`plan_lookup`).
        resolve: Path of a file a record names (split files), relative to the records.
        smoke: A toy-scale run: no difference to the paper (it would be noise).

    Returns:
        Columns ``experiment``, ``index`` (of the variant), ``group``, ``row``, ``variant``, ``column``,
        ``dataset``, ``metric``, ``x``, ``ours``, ``paper``, ``diff`` (NaN where there is no number),
        ``paper_dash`` (the paper prints '-'), ``note`` (why ours is missing, or the mark of records served
        though not current), ``records``, ``device`` (profile records), ``digits``, ``comparable``.
    """
    rows = []
    for i, variant in enumerate(experiment.variants):
        for column in (c for c in experiment.columns if variant.fills(c)):
            dataset, metric = experiment.dataset_of(variant, column), experiment.metric_of(variant, column)
            results, note, records = lookup(i, variant, column)
            ours = device = None
            if results is not None:
                ours, why = _read(column, metric, dataset, results, resolve)
                note = note if ours is not None else why
                if column.source == 'profile':
                    env = results[0].get('environment') or {}
                    device = env.get('gpu') or env.get('device')
            rows.append(dict(experiment=experiment.key, index=i, group=variant.group,
                             row=variant.label if variant.row is None else variant.row, variant=variant.label,
                             column=column.name, dataset=dataset, metric=metric, x=variant.x, ours=ours,
                             paper=_finite(variant.paper.get(column.name)), diff=None,
                             paper_dash=column.name in variant.paper and variant.paper[column.name] is None,
                             note=note, records=';'.join(records), device=device, digits=column.digits,
                             comparable=column.comparable))
    for column in (c for c in experiment.columns if c.per_row is not None):  # divide by the reference row's
        cells = [r for r in rows if r['column'] == column.name]
        ref = next((r for r in cells if r['variant'] == column.per_row), dict(ours=None, note='no row', device=None))
        ref_ours, ref_note, ref_device = ref['ours'], ref['note'], ref['device']  # the loop divides ref too
        for r in (r for r in cells if r['ours'] is not None):
            if not ref_ours:
                r.update(ours=None, note=f'the reference row has no value ({ref_note or "zero"})')
            elif r['device'] != ref_device:
                r.update(ours=None, note=f'the reference row was measured on another device ({ref_device})')
            else:
                r['ours'] /= ref_ours
    for r in rows:
        if not smoke and r['comparable'] and None not in (r['ours'], r['paper']):
            r['diff'] = r['ours'] - r['paper']
        r.update({k: np.nan for k in ('ours', 'paper', 'diff') if r[k] is None})
        r.update(note=r['note'] or '', device=r['device'] or '')
    return pd.DataFrame(rows)
