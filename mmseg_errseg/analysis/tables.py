"""Tables as views over run records: the paper's layout, ours beside the paper's with the difference.

For each cell of an experiment (``mmseg_errseg.harness``), the value is read
from the record(s) of the run(s) the plan maps it to; a cell without a value
says why (no record and the reason, a failed run, another method's row). The
paper's figures come only from the experiment declarations and only ever fill
the "paper" columns. Tables are pandas frames rendered to CSV, Markdown and LaTeX.
"""
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from mmseg_errseg.harness.experiments import Column, Experiment, Variant

from ..utils import write_text

__all__ = ['CellValue', 'cell_value', 'experiment_cells', 'wide_table', 'render_markdown', 'render_latex',
           'write_experiment', 'SMOKE_BANNER']

SMOKE_BANNER = ('SMOKE RUN: toy scale (the tiny model trained for a few iterations on generated data; efficiency '
                'at full size). These numbers check the machinery; they are NOT results.')


@dataclass
class CellValue:
    """Ours (or why not), the paper's figure, and where ours comes from.

    Args:
        ours: Our measured value, or ``None``.
        note: Why ``ours`` is missing (``None`` when measured).
        paper: The paper's figure (``None``: none, see ``paper_dash``).
        paper_dash: The paper prints '-' here.
        records: Record files the value was read from.
        comparable: Whether ours - paper is shown (not across devices).
    """
    ours: Optional[float]
    note: Optional[str]
    paper: Optional[float]
    paper_dash: bool = False
    records: Tuple[str, ...] = ()
    comparable: bool = True

    @property
    def diff(self) -> Optional[float]:
        if self.ours is None or self.paper is None or not self.comparable:
            return None
        return self.ours - self.paper


def _finite(value) -> Optional[float]:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _profile_value(result: dict, metric: str) -> Optional[float]:
    from mmseg_errseg.profiling.tables import records_frame  # the profiler's own reading of its records
    frame = records_frame([result])
    return _finite(frame.iloc[0].get(metric)) if metric in frame.columns else None


def _read(source: str, metric: str, dataset: Optional[str], records: List[dict], store) -> Tuple[Optional[float], str]:
    """Value of a metric from the record(s) of a cell; (None, why) if the records do not hold it."""
    result = records[0]['result']
    if source == 'eval':
        value = _finite(result.get('metrics', {}).get(metric))
        return value, ('' if value is not None else f'the evaluation record has no finite {metric}')
    if source == 'profile':
        value = _profile_value(result, metric)
        return value, ('' if value is not None else f'the profile record has no {metric}')
    if source == 'dataset_stats':
        value = _finite(result['rows'][0].get(metric))
        return value, ('' if value is not None else f'no {metric} in the statistics record')
    if source == 'similarity':
        row = next((r for r in result['table2'] if r.get('vocabulary') == dataset), None)
        value = _finite(row.get(metric)) if row else None
        return value, ('' if value is not None else f'no {metric} for {dataset} in the similarity record')
    if source == 'seen_unseen':
        from mmseg_errseg.evaluation.seen_unseen import SeenUnseenSplit

        from .seen_unseen import record_seen_unseen
        similarity = records[1]['result']
        split = SeenUnseenSplit.load(str(store.resolve(similarity['splits'][dataset])))
        res = record_seen_unseen(result, split)
        value = _finite(res[metric])
        return value, ('' if value is not None else f'no {metric} class occurs in the evaluation')
    raise ValueError(f'unknown column source {source!r}')


def cell_value(experiment: Experiment, variant: Variant, column: Column, runs: Sequence[str],
               reason: Optional[str], store, why_missing: Callable[[str], str]) -> CellValue:
    """The value of one cell.

    Args:
        experiment: The experiment.
        variant: Its row.
        column: Its column.
        runs: Keys of the runs whose records give the value (first: the main one).
        reason: Why the cell is not ours to measure (another method, unsupported, not requested).
        store: The record store.
        why_missing: Reason a run has no record (blocked, failed, not run).

    Returns:
        The :class:`CellValue`.
    """
    paper_dash = column.name in variant.paper and variant.paper[column.name] is None
    paper = _finite(variant.paper.get(column.name))
    if reason:
        return CellValue(None, reason, paper, paper_dash, comparable=column.comparable)
    missing = [k for k in runs if store.get(k) is None]
    if missing:
        return CellValue(None, f'no record: {why_missing(missing[0])}', paper, paper_dash,
                         comparable=column.comparable)
    records = [store.get(k) for k in runs]
    metric = experiment.metric_of(variant, column)
    value, why = _read(column.source, metric, experiment.dataset_of(variant, column), records, store)
    paths = tuple(store.relative(store.path(k)) for k in runs)
    return CellValue(value, why or None, paper, paper_dash, paths, column.comparable)


def experiment_cells(experiment: Experiment, plan, store, why_missing: Callable[[str], str]) -> pd.DataFrame:
    """Every cell of an experiment in long form (one row per variant and column).

    Args:
        experiment: The experiment.
        plan: The :class:`~mmseg_errseg.harness.planner.Plan` that maps cells to runs.
        store: The record store.
        why_missing: Reason a run has no record.

    Returns:
        Columns ``experiment``, ``group``, ``row``, ``variant``, ``column``,
        ``dataset``, ``metric``, ``x``, ``ours``, ``paper``, ``diff``, ``note``,
        ``records`` (NaN where there is no number).
    """
    rows = []
    for i, variant in enumerate(experiment.variants):
        for column in experiment.columns:
            if not variant.fills(column):
                continue
            cp = plan.cell(experiment, i, column)
            v = cell_value(experiment, variant, column, cp.runs, cp.reason, store, why_missing)
            rows.append(dict(experiment=experiment.key, group=variant.group, row=variant.display_row,
                             variant=variant.label, column=column.name,
                             dataset=experiment.dataset_of(variant, column),
                             metric=experiment.metric_of(variant, column), x=variant.x,
                             ours=np.nan if v.ours is None else v.ours,
                             paper=np.nan if v.paper is None else v.paper,
                             diff=np.nan if v.diff is None else v.diff,
                             paper_dash=v.paper_dash, note=v.note or '', records=';'.join(v.records),
                             digits=column.digits, comparable=column.comparable))
    return pd.DataFrame(rows)


def _fmt(value: float, digits: int, signed: bool = False) -> str:
    return f'{value:+.{digits}f}' if signed else f'{value:.{digits}f}'


def wide_table(experiment: Experiment, cells: pd.DataFrame, precise: bool = False) -> Tuple[pd.DataFrame, List[str]]:
    """The paper's layout: one row per paper row, per column ours / paper / difference.

    Cells without a number of ours read ``n/a [k]``, footnote ``k`` saying why.

    Args:
        experiment: The experiment.
        cells: :func:`experiment_cells`.
        precise: One more decimal than the paper prints (smoke values are small).

    Returns:
        (frame of strings, footnotes).
    """
    notes: Dict[str, int] = {}
    rows: Dict[tuple, Dict[str, str]] = {}
    descr_cols: List[str] = []
    for v in experiment.variants:
        for k in v.descr:
            if k not in descr_cols:
                descr_cols.append(k)
    variants = {v.label: v for v in experiment.variants}
    has_group = any(v.group for v in experiment.variants)
    label_col = experiment.param if experiment.layout == 'param_per_dataset' else \
        ('Dataset' if any(v.dataset for v in experiment.variants) else 'Method' if experiment.key in
         ('table3', 'table4', 'table5', 'fig1') else 'Variant')
    for r in cells.itertuples():
        variant = variants[r.variant]
        key = (r.group, r.row)
        if key not in rows:
            rows[key] = {}
            if has_group:
                rows[key]['Group'] = r.group
            for k in descr_cols:
                rows[key][k] = variant.descr.get(k, '')
            rows[key][label_col if experiment.layout == 'rows' else '#'] = r.row
        row = rows[key]
        digits = int(r.digits) + (1 if precise else 0)
        if experiment.layout == 'param_per_dataset':
            row[f'{r.column} {experiment.param}'] = f'{variant.x:g}' if variant.x is not None else ''
        if not np.isnan(r.ours):
            ours = _fmt(r.ours, digits)
        else:
            n = notes.setdefault(r.note, len(notes) + 1)
            ours = f'n/a [{n}]'
        paper = '-' if r.paper_dash else ('' if np.isnan(r.paper) else _fmt(r.paper, int(r.digits)))
        row[f'{r.column} ours'] = ours
        row[f'{r.column} paper'] = paper
        if r.comparable:  # no difference across devices (latency, memory)
            row[f'{r.column} Δ'] = '' if np.isnan(r.diff) else _fmt(r.diff, digits, signed=True)
    frame = pd.DataFrame(list(rows.values())).fillna('')
    footnotes = [f'[{n}] {text}' for text, n in notes.items()]
    return frame, footnotes


def _title(experiment: Experiment, smoke: bool) -> str:
    return f'{experiment.title}{" [SMOKE]" if smoke else ""}: {experiment.caption}'


def render_markdown(experiment: Experiment, frame: pd.DataFrame, footnotes: Sequence[str], smoke: bool,
                    provenance: str = '') -> str:
    """A table as Markdown: title, smoke banner, the table, the experiment's notes and the footnotes."""
    lines = [f'### {_title(experiment, smoke)}', '']
    if smoke:
        lines += [f'**{SMOKE_BANNER}**', '']
    lines += ['"ours": measured by this harness (records named in the CSV); "paper": the paper\'s figure; '
              '"Δ": ours - paper (not for latency and memory, measured on other devices).', '']
    lines += [frame.to_markdown(index=False, disable_numparse=True), '']
    lines += [f'- {n}' for n in experiment.notes]
    lines += [f'- {n}' for n in footnotes]
    if provenance:
        lines += ['', provenance]
    return '\n'.join(lines) + '\n'


_LATEX_SPECIAL = {'\\': r'\textbackslash{}', '&': r'\&', '%': r'\%', '$': r'\$', '#': r'\#', '_': r'\_',
                  '{': r'\{', '}': r'\}', '~': r'\textasciitilde{}', '^': r'\textasciicircum{}'}
_LATEX_UNICODE = {'✓': r'\checkmark', '×': r'$\times$', 'Δ': r'$\Delta$', '²': r'$^2$', 'λ': r'$\lambda$',
                  '≥': r'$\geq$'}


def _latex_text(text: str) -> str:
    out = ''.join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))
    for ch, tex in _LATEX_UNICODE.items():
        out = out.replace(ch, tex)
    return out


def render_latex(experiment: Experiment, frame: pd.DataFrame, footnotes: Sequence[str], smoke: bool) -> str:
    """A table as a LaTeX ``table`` (booktabs), footnotes in the caption."""
    escaped = frame.map(_latex_text) if hasattr(frame, 'map') else frame.applymap(_latex_text)
    escaped.columns = [_latex_text(c) for c in frame.columns]
    caption = _latex_text(_title(experiment, smoke) + (' ' + SMOKE_BANNER if smoke else '') + ' '
                          + ' '.join(footnotes))
    return escaped.to_latex(index=False, escape=False, caption=caption, label=f'tab:{experiment.key}',
                            column_format='l' * len(frame.columns))


def write_experiment(experiment: Experiment, cells: pd.DataFrame, out_dir: Path, smoke: bool,
                     provenance: str = '') -> List[Path]:
    """Write an experiment's table as CSV (paper layout), Markdown and LaTeX, and its cells (long CSV).

    Args:
        experiment: The experiment.
        cells: :func:`experiment_cells`.
        out_dir: Output folder.
        smoke: Label everything as a smoke run (file names, titles, banner).
        provenance: A line naming the command that produced it.

    Returns:
        The files written.
    """
    frame, footnotes = wide_table(experiment, cells, precise=smoke)
    stem = experiment.key + ('_smoke' if smoke else '')
    out = Path(out_dir)
    files = [write_text(out / f'{stem}.csv', frame.to_csv(index=False)),
             write_text(out / f'{stem}.md', render_markdown(experiment, frame, footnotes, smoke, provenance)),
             write_text(out / f'{stem}.tex', render_latex(experiment, frame, footnotes, smoke)),
             write_text(out / f'{stem}_cells.csv', cells.drop(columns=['digits', 'comparable']).to_csv(
                 index=False, float_format='%.6g'))]
    return files
