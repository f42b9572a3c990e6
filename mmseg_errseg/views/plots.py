"""The one plotter (seaborn): every experiment's plot over its cells, and the label-similarity plots.

Device-dependent quantities of ours (latency, memory) are never drawn on the paper's axes: as ratios measured
in the same run (Table 11), or in a panel of their own (Fig. 1). seaborn (the ``analysis`` extra) is imported
where a plot is drawn: planning and tables need none.
"""
from functools import partial
from pathlib import Path
from typing import Callable, Dict, Sequence, Union

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from ..utils import atomic_path
from ..datasets.benchmarks import get_benchmark
from ..harness.experiments import Experiment

matplotlib.use('Agg')  # files only, no display

__all__ = ['PLOTS', 'plot_experiment', 'write_plot', 'heatmap_order', 'plot_similarity_heatmap',
           'plot_best_match_distribution']

OURS, PAPER = 'ours', "paper's"


def _title(experiment: Experiment, smoke: bool) -> str:
    return f'{"[SMOKE] " if smoke else ""}{experiment.title}: {experiment.caption}'


def _long(cells: pd.DataFrame) -> pd.DataFrame:
    """Ours and the paper's as rows with a ``source`` column (NaN values dropped)."""
    return pd.concat([cells.assign(value=cells[col], source=source) for source, col in
                      ((OURS, 'ours'), (PAPER, 'paper'))], ignore_index=True).dropna(subset=['value'])


def _empty_note(ax, cells: pd.DataFrame) -> None:
    notes = sorted(set(n for n in cells['note'] if n))
    ax.text(0.5, 0.5, 'no measurement of ours:\n' + '\n'.join(notes[:3]), ha='center', va='center',
            transform=ax.transAxes, fontsize=8, wrap=True)


def plot_sweep(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """mIoU per benchmark against a training-time switch (Figs. 6 and 7)."""
    import seaborn as sns
    fig, ax = plt.subplots(figsize=(7, 4.5))
    data = cells[cells['ours'].notna()]
    if data.empty:
        _empty_note(ax, cells)
    else:
        sns.lineplot(data=data.rename(columns={'column': 'benchmark'}), x='x', y='ours', hue='benchmark', marker='o',
                     ax=ax)
        ax.legend(title='benchmark (ours)', fontsize=8)
    x = cells['x'].dropna()
    if len(x) and x.min() > 0 and x.max() / x.min() >= 10:  # a sweep over decades (λ)
        ax.set_xscale('log')
    ax.set(xlabel=experiment.param, ylabel='mIoU (%)')
    ax.set_title(_title(experiment, smoke), fontsize=9)
    fig.subplots_adjust(bottom=0.2)
    fig.text(0.01, 0.01, "The paper's curve exists only as an image: not shown.", fontsize=7)
    return fig


def _facet_lines(experiment: Experiment, cells: pd.DataFrame, smoke: bool, facet: str, hue: str, xlabel: str):
    """mIoU against a test-time switch, one panel per ``facet`` value, ours and the paper's."""
    import seaborn as sns
    cells = cells.assign(benchmark=cells['column'])
    data = _long(cells)
    keys = list(dict.fromkeys(cells[facet]))
    fig, axes = plt.subplots(1, len(keys), figsize=(3.3 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        part = data[data[facet] == key]
        if part.empty:
            _empty_note(ax, cells[cells[facet] == key])
        else:
            sns.lineplot(data=part, x='x', y='value', hue=hue, style='source', markers=True, ax=ax)
            ax.legend(fontsize=6)
        ax.set_title(str(key), fontsize=9)
        ax.set(xlabel=xlabel, ylabel='mIoU (%)')
    fig.suptitle(_title(experiment, smoke), fontsize=9)
    fig.tight_layout()
    return fig


def plot_latency_scatter(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """Fig. 1: mIoU against latency: the paper's points (its GPU) and ours (our device) in separate panels."""
    import seaborn as sns
    panels = []
    for source, col in ((PAPER, 'paper'), (OURS, 'ours')):  # per method its latency and mIoU, where both exist
        points = cells.pivot_table(index='variant', columns='metric', values=col, sort=False)
        points = points.reindex(columns=['latency_ms', 'mIoU']).dropna().rename_axis('method').reset_index()
        panels.append((source, points.rename(columns={'latency_ms': 'latency'})))
    devices = ', '.join(sorted({d for d in cells.get('device', pd.Series(dtype=str)) if d})) or 'the record\'s'
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    for ax, (source, frame), where in zip(axes, panels, ('RTX 3090 (the paper)', devices)):
        if frame.empty:
            _empty_note(ax, cells)
        else:  # a legend, not annotations: labels cannot overlap
            sns.scatterplot(data=frame, x='latency', y='mIoU', hue='method', style='method', s=80, ax=ax)
            ax.legend(fontsize=7, title='method')
            ax.set_xscale('log')
            ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(f'{source}: latency on {where}', fontsize=9)
        ax.set(xlabel='latency (ms, log scale)', ylabel='A-847 mIoU (%)')
    fig.suptitle(_title(experiment, smoke) + ' (different devices: compare within a panel only)', fontsize=9)
    fig.tight_layout()
    return fig


def plot_efficiency_bars(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """Table 11: each comparable profile column (GFLOPs, the ratios of memory and latency), ours beside the paper's."""
    import seaborn as sns
    names = [c.name for c in experiment.columns if c.source == 'profile' and c.comparable]
    data = _long(cells[cells['column'].isin(names)])
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names):
        part = data[data['column'] == name]
        if part.empty:
            _empty_note(ax, cells[cells['column'] == name])
        else:
            sns.barplot(data=part, x='variant', y='value', hue='source', ax=ax)
            ax.tick_params(axis='x', labelrotation=20, labelsize=7)
            ax.legend(fontsize=7)
        ax.set(xlabel='', ylabel=name)
    fig.suptitle(_title(experiment, smoke) + ' (ratios: each device against itself)', fontsize=9)
    fig.tight_layout()
    return fig


#: Plot name (``Experiment.plot``) -> function(experiment, cells, smoke) -> Figure.
PLOTS: Dict[str, Callable] = {
    'sweep': plot_sweep, 'latency_scatter': plot_latency_scatter, 'efficiency_bars': plot_efficiency_bars,
    'p_inference': partial(_facet_lines, facet='column', hue='source', xlabel='P (inference)'),  # Table 8
    'crop_size': partial(_facet_lines, facet='group', hue='benchmark', xlabel='crop size (paper pixels)'),  # Table 14
}


def plot_experiment(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """The figure of an experiment (see :data:`PLOTS`)."""
    import seaborn as sns
    if experiment.plot not in PLOTS:
        raise ValueError(f'{experiment.key}: unknown plot {experiment.plot!r}; expected one of {list(PLOTS)}')
    sns.set_theme(style='whitegrid')
    return PLOTS[experiment.plot](experiment, cells, smoke)


def write_plot(experiment: Experiment, cells: pd.DataFrame, out_dir: Path, smoke: bool) -> Path:
    """Draw and save an experiment's plot as ``<key>[_smoke].png`` (atomically)."""
    fig = plot_experiment(experiment, cells, smoke)
    return _save(fig, Path(out_dir) / f'{experiment.key}{"_smoke" if smoke else ""}.png', dpi=120)


def _save(fig, path: Union[str, Path], dpi: int = 110) -> Path:
    """Save a figure atomically and free it."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format='png', dpi=dpi)
        return Path(path)
    finally:
        plt.close(fig)


# ---------------------------------------------------------------- label similarity
def _name(vocabulary: str) -> str:
    """The paper's name of a benchmark vocabulary, else the vocabulary key (a file's stem)."""
    try:
        return get_benchmark(vocabulary).title
    except ValueError:
        return vocabulary


_MAX_TICKS = 60


def heatmap_order(matrix: np.ndarray):
    """(row order, column order) of an (E, T) similarity matrix that bring each row's best match near the
    diagonal: rows by best similarity (descending); columns by the first sorted row whose nearest class they
    are, then the never-nearest columns by their best similarity (descending)."""
    rows = np.argsort(-matrix.max(axis=1), kind='stable')
    nearest = matrix.argmax(axis=1)[rows]
    _, first = np.unique(nearest, return_index=True)
    matched = nearest[np.sort(first)]
    rest = np.setdiff1d(np.arange(matrix.shape[1]), matched)
    rest = rest[np.argsort(-matrix[:, rest].max(axis=0), kind='stable')]
    return rows, np.concatenate([matched, rest])


def plot_similarity_heatmap(result, path: Union[str, Path]) -> Path:
    """Write to the PNG ``path`` the heatmap of a ``LabelSimilarity`` (eval x train), sorted by
    :func:`heatmap_order`."""
    import seaborn as sns
    rows, cols = heatmap_order(result.matrix)
    frame = pd.DataFrame(result.matrix[np.ix_(rows, cols)], index=np.asarray(result.eval_classes, dtype=object)[rows],
                         columns=np.asarray(result.train_classes, dtype=object)[cols])
    e, t = frame.shape
    fig, ax = plt.subplots(figsize=(11, 8.5))
    sns.heatmap(frame, ax=ax, cmap='viridis', vmin=float(np.floor(frame.values.min() * 10) / 10), vmax=1.0,
                xticklabels=t <= _MAX_TICKS, yticklabels=e <= _MAX_TICKS, cbar_kws={'label': 'cosine similarity'})
    ax.set_xlabel(f'{_name(result.train)} classes ({t}, ordered by first best match)')
    ax.set_ylabel(f'{_name(result.dataset)} classes ({e}, by best-match similarity)')
    ax.set_title(f'{_name(result.dataset)} vs {_name(result.train)}: label similarity\n'
                 f'encoder: {result.encoder}', fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def plot_best_match_distribution(results: Sequence, path: Union[str, Path], threshold: float = 0.95) -> Path:
    """Write to the PNG ``path`` the distribution of each evaluation class's best-match similarity per
    vocabulary (``LabelSimilarity`` results): left a histogram, right the fraction of classes whose best
    match is >= x (Table 2 reads off it), the seen/unseen ``threshold`` marked."""
    import seaborn as sns
    data = pd.concat([pd.DataFrame({'dataset': f'{_name(r.dataset)} ({len(r.eval_classes)})',
                                    'best-match similarity': r.best}) for r in results], ignore_index=True)
    encoders = ', '.join(sorted({r.encoder for r in results}))
    train = ', '.join(sorted({_name(r.train) for r in results}))
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    sns.histplot(data, x='best-match similarity', hue='dataset', ax=left, stat='probability',
                 common_norm=False, element='step', fill=False, bins=40)
    sns.ecdfplot(data, x='best-match similarity', hue='dataset', ax=right, complementary=True)
    right.set_ylabel('fraction of classes with best match ≥ x')
    for ax in (left, right):
        ax.axvline(threshold, color='0.3', linestyle='--', linewidth=1)
    right.text(threshold, 1.02, f' seen ≥ {threshold:g}', color='0.3', fontsize=9, va='bottom')
    fig.suptitle(f'Best-match similarity of each evaluation class to {train}\nencoder: {encoders}', fontsize=11)
    fig.tight_layout()
    return _save(fig, path)
