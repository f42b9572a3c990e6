"""The one table renderer: an experiment's cells in the paper's layout, as CSV, Markdown and LaTeX; and the
summary of one profile record that ``errseg profile`` prints."""
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np
import pandas as pd

from ..utils import write_text
from ..harness.experiments import Experiment
from ..profiling.components import OTHER
from ..profiling.flops import FVCORE_EXTRA_HANDLES
from ..profiling.latency import EXECUTION_MODES
from .cells import Lookup, experiment_cells

__all__ = ['wide_table', 'render_markdown', 'render_latex', 'write_experiment', 'write_table', 'SMOKE_BANNER',
           'format_record']

SMOKE_BANNER = ('SMOKE RUN: toy scale (the tiny model trained for a few iterations on generated data; efficiency '
                'at full size). These numbers check the machinery; they are NOT results.')


def wide_table(experiment: Experiment, cells: pd.DataFrame, smoke: bool = False) -> Tuple[pd.DataFrame, List[str]]:
    """(frame of strings, footnotes): the paper's layout, one row per paper row, per column ours / paper / Δ.

    A cell without a number of ours reads ``n/a [k]``, footnote ``k`` saying why; a number from records that
    are not current reads ``x [k]``. ``smoke``: no difference column, one more decimal (its values are small).
    """
    notes: Dict[str, int] = {}
    rows: Dict[tuple, Dict[str, str]] = {}
    descr_cols = list(dict.fromkeys(k for v in experiment.variants for k in v.descr))
    has_group = any(v.group for v in experiment.variants)
    label_col = '#' if experiment.layout == 'param_per_dataset' else \
        'Dataset' if any(v.dataset for v in experiment.variants) else \
        'Method' if any(v.paper_only for v in experiment.variants) else 'Variant'
    for r in cells.itertuples():
        variant = experiment.variants[r.index]
        row = rows.setdefault((r.group, r.row), {
            **({'Group': r.group} if has_group else {}), **{k: variant.descr.get(k, '') for k in descr_cols},
            label_col: r.row})
        digits = int(r.digits) + (1 if smoke else 0)
        if experiment.layout == 'param_per_dataset':
            row[f'{r.column} {experiment.param}'] = f'{variant.x:g}' if variant.x is not None else ''
        # n/a says why; a value from records that are not current carries their mark
        mark = f' [{notes.setdefault(r.note, len(notes) + 1)}]' if r.note or np.isnan(r.ours) else ''
        row[f'{r.column} ours'] = ('n/a' if np.isnan(r.ours) else f'{r.ours:.{digits}f}') + mark
        # latency and memory of ours are of another device: not beside the paper's (see the ratio columns)
        beside = r.comparable or not variant.measured
        paper = '-' if r.paper_dash else ('' if np.isnan(r.paper) or not beside else f'{r.paper:.{int(r.digits)}f}')
        row[f'{r.column} paper'] = paper
        if r.comparable and not smoke:
            row[f'{r.column} Δ'] = '' if np.isnan(r.diff) else f'{r.diff:+.{digits}f}'
    return pd.DataFrame(list(rows.values())).fillna(''), [f'[{n}] {text}' for text, n in notes.items()]


def _title(experiment: Experiment, smoke: bool) -> str:
    return f'{experiment.title}{" [SMOKE]" if smoke else ""}: {experiment.caption}'


def render_markdown(experiment: Experiment, frame: pd.DataFrame, footnotes: Sequence[str], smoke: bool,
                    provenance: str = '') -> str:
    """A table as Markdown: title, smoke banner, the table, the experiment's notes and the footnotes."""
    lines = [f'### {_title(experiment, smoke)}', '', *([f'**{SMOKE_BANNER}**', ''] if smoke else []),
             '"ours": measured by this harness (records named in the CSV); "paper": the paper\'s figure'
             + ('.' if smoke else '; "Δ": ours - paper.') + ' Latency and memory of ours are of the device of '
             'the record, not the paper\'s: they stand beside the paper\'s only as ratios "÷".', '',
             frame.to_markdown(index=False, disable_numparse=True), '', *(f'- {n}' for n in experiment.notes),
             *(f'- {n}' for n in footnotes), *(['', provenance] if provenance else [])]
    return '\n'.join(lines) + '\n'


#: LaTeX of the characters that are special to it or not ASCII
_LATEX = str.maketrans({'\\': r'\textbackslash{}', '&': r'\&', '%': r'\%', '$': r'\$', '#': r'\#', '_': r'\_',
                        '{': r'\{', '}': r'\}', '~': r'\textasciitilde{}', '^': r'\textasciicircum{}',
                        '✓': r'\checkmark', '×': r'$\times$', 'Δ': r'$\Delta$', '²': r'$^2$', 'λ': r'$\lambda$',
                        '≥': r'$\geq$'})


def _latex_text(text: str) -> str:
    return str(text).translate(_LATEX)


def render_latex(experiment: Experiment, frame: pd.DataFrame, footnotes: Sequence[str], smoke: bool) -> str:
    """A table as a LaTeX ``table`` (booktabs), footnotes in the caption."""
    escaped = frame.map(_latex_text) if hasattr(frame, 'map') else frame.applymap(_latex_text)
    escaped.columns = [_latex_text(c) for c in frame.columns]
    caption = _title(experiment, smoke) + (' ' + SMOKE_BANNER if smoke else '') + ' ' + ' '.join(footnotes)
    return escaped.to_latex(index=False, escape=False, caption=_latex_text(caption), label=f'tab:{experiment.key}',
                            column_format='l' * len(frame.columns))


def write_experiment(experiment: Experiment, cells: pd.DataFrame, out_dir: Path, smoke: bool,
                     provenance: str = '') -> List[Path]:
    """Write an experiment's table as CSV (paper layout), Markdown and LaTeX, and its cells (long CSV).

    ``smoke`` labels everything as a smoke run (file names, titles, banner); ``provenance`` is a line
    naming the command that produced it. Returns the files written.
    """
    frame, footnotes = wide_table(experiment, cells, smoke)
    stem = Path(out_dir) / (experiment.key + ('_smoke' if smoke else ''))
    return [write_text(f'{stem}.csv', frame.to_csv(index=False)),
            write_text(f'{stem}.md', render_markdown(experiment, frame, footnotes, smoke, provenance)),
            write_text(f'{stem}.tex', render_latex(experiment, frame, footnotes, smoke)),
            write_text(f'{stem}_cells.csv', cells.drop(columns=['digits', 'comparable']).to_csv(
                index=False, float_format='%.6g'))]


def write_table(experiment: Experiment, lookup: Lookup, out_dir: Path, provenance: str = '') -> List[Path]:
    """The files of an experiment's table (possibly with rows of the command's own) from records a command
    was given, written by :func:`write_experiment`."""
    return write_experiment(experiment, experiment_cells(experiment, lookup), out_dir, smoke=False,
                            provenance=provenance)


# ---------------------------------------------------------------- one profile record
_MEMORY_KINDS = {'cuda_max_allocated': 'CUDA max allocated', 'cpu_peak_rss': 'process peak RSS',
                 'cpu_lifetime_peak_rss': 'process lifetime peak RSS (could not be reset: a lower bound of the block)'}


def _bytes(value: float) -> str:
    return f'{value / 2 ** 30:.3f} GiB' if value >= 2 ** 30 else f'{value / 2 ** 20:.1f} MiB'


def _gflops(value: float) -> str:
    return f'{value / 1e9:.2f}' if value >= 1e9 else f'{value / 1e9:.4g}'


def _ms(value: float) -> str:
    return f'{value:.1f} ms' if value < 1e4 else f'{value / 1e3:.2f} s'


def _component_frame(record: Mapping) -> pd.DataFrame:
    """Per component: GFLOPs, share of the total, instrumented time and its share."""
    flops = (record.get('flops') or {}).get('by_component', {})
    times = record.get('component_latency_ms') or {}
    frame = pd.DataFrame(index=pd.Index(list(dict.fromkeys([*flops, *times])), name='component'))
    frame['GFLOPs'] = pd.Series(flops, dtype=float) / 1e9
    frame['FLOPs %'] = 100 * frame['GFLOPs'] / frame['GFLOPs'].sum()
    frame['ms (instrumented)'] = pd.Series(times, dtype=float)
    frame['time %'] = 100 * frame['ms (instrumented)'] / frame['ms (instrumented)'].sum()
    return frame.reset_index()


def _settings_line(record: Mapping) -> str:
    s, env = record.get('settings', {}), record.get('environment', {})
    parts = [record.get('name', '?')]
    if s.get('config'):
        parts.append(str(s['config']))
    if s.get('num_classes') is not None:
        tp = f"T={s['num_classes']}"
        if s.get('num_selected') is not None:
            kept = s.get('kept_classes')
            tp += f', P={kept}' if kept == s['num_selected'] else f', all {kept} classes kept'
        parts.append(f"{tp} ({s.get('benchmark') or s.get('vocabulary')})")
    if s.get('input'):
        parts.append(f"input {s['input'][0]}x{s['input'][1]}")
    device = env.get('gpu') or f"{env.get('device', 'cpu')}, {env.get('torch_threads')} threads"
    parts.append(f'{device}, batch 1, text cached ({s.get("text", "?")})')
    return ' | '.join(parts)


def format_record(record: Mapping) -> str:
    """What ``errseg profile`` prints of one profile record: FLOPs (and what is uncounted), params, memory,
    latency per execution mode, and per component the FLOPs and instrumented time with their shares."""
    lines = [_settings_line(record)]
    if flops := record.get('flops'):
        added = ', '.join(k for k in flops['by_operator'] if f'aten::{k}' in FVCORE_EXTRA_HANDLES)
        lines.append(f"GFLOPs (fvcore, 1 FMA = 1 flop, attention counted): {_gflops(flops['total'])} "
                     f"(of which {_gflops(flops['added'])} fvcore alone skips: {added or 'none'})")
        if pt := record.get('ptflops'):
            rel = 100 * (pt['macs'] - flops['matmul']) / flops['matmul'] if flops['matmul'] else float('nan')
            lines.append(f"ptflops cross-check (aten backend, attention hooked): {_gflops(pt['macs'])} GMACs; "
                         f"fvcore matrix-product share {_gflops(flops['matmul'])} GFLOPs ({rel:+.2f}%: ptflops adds "
                         'bias MACs)')
        if flops.get('uncounted'):
            ops = ', '.join(f'{k.replace("aten::", "")} x{v}' for k, v in flops['uncounted'].items())
            lines.append(f'uncounted (no fvcore handle; element-wise/indexing by convention): {ops}')
    if p := record.get('params'):
        groups = ', '.join(f'{k} {v / 1e6:.2f} M' for k, v in p.items()
                           if k not in ('total', 'trainable') and (v or k != OTHER))
        lines.append(f"params: total {p['total'] / 1e6:.2f} M, trainable {p['trainable'] / 1e6:.2f} M ({groups})")
    for name, entry in (record.get('executions') or {}).items():
        lat, mem = entry['latency'], entry['memory']
        line = (f"latency [{EXECUTION_MODES.get(name, name)}]: median {_ms(lat['median_ms'])} "
                f"(IQR {_ms(lat['q1_ms'])} - {_ms(lat['q3_ms'])}, min {_ms(lat['min_ms'])}, "
                f"max {_ms(lat['max_ms'])}; {lat['runs']} runs after {lat['warmup']} warm-up)")
        if 'speedup_vs_reference' in entry:
            line += f"; x{entry['speedup_vs_reference']:.2f} vs the first mode"
        lines.append(line)
        if acc := entry.get('accuracy_vs_reference'):
            diff = 'n/a (kept classes differ)' if acc['max_abs_diff'] is None else f"{acc['max_abs_diff']:.2e}"
            kept = '' if acc['kept_identical'] is None else \
                f", kept classes {'identical' if acc['kept_identical'] else 'DIFFERENT'}"
            lines.append(f'  accuracy vs the first mode: max |logit diff| {diff} '
                         f"(max |logit| {acc['max_abs_ref']:.2f}){kept}")
        lines.append(f"  peak memory: {_bytes(mem['delta'])} over a baseline of "
                     f"{_bytes(mem['baseline'])} ({_MEMORY_KINDS.get(mem['kind'], mem['kind'])})")
    comps = _component_frame(record)
    if not comps.empty:
        digits = '.2f' if (record.get('flops') or {}).get('total', 0) >= 1e10 else '.4g'
        comps = comps.astype(object).where(comps.notna(), None)
        lines += ['', comps.to_markdown(index=False, floatfmt=('', digits, '.1f', '.1f', '.1f'), missingval='')]
        if record.get('component_latency_ms'):
            lines.append('(times: forward hooks at component boundaries, exclusive of nested components)')
    return '\n'.join(lines)

