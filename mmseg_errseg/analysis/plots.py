"""Plots as views over the tables' cells (seaborn): sweeps, P, crop size, latency vs mIoU, efficiency bars.

Every plot shows ours (measured) and, where the paper gives numbers, the
paper's, labelled; smoke runs say SMOKE in the title.
"""
from pathlib import Path
from typing import Callable, Dict

import matplotlib
import matplotlib.ticker

matplotlib.use('Agg')  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from mmseg_errseg.harness.experiments import Experiment  # noqa: E402

from ..utils import atomic_path  # noqa: E402

__all__ = ['PLOTS', 'plot_experiment', 'write_plot']

OURS, PAPER = 'ours', "paper's"


def _title(experiment: Experiment, smoke: bool) -> str:
    return f'{"[SMOKE] " if smoke else ""}{experiment.title}: {experiment.caption}'


def _long(cells: pd.DataFrame) -> pd.DataFrame:
    """Ours and the paper's as rows with a ``source`` column (NaN values dropped)."""
    parts = []
    for source, col in ((OURS, 'ours'), (PAPER, 'paper')):
        part = cells.assign(value=cells[col], source=source)
        parts.append(part[part['value'].notna()])
    return pd.concat(parts, ignore_index=True) if parts else cells.assign(value=[], source=[])


def _empty_note(ax, cells: pd.DataFrame) -> None:
    notes = sorted(set(n for n in cells['note'] if n))
    ax.text(0.5, 0.5, 'no measurement of ours:\n' + '\n'.join(notes[:3]), ha='center', va='center',
            transform=ax.transAxes, fontsize=8, wrap=True)


def plot_sweep(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """mIoU per benchmark against a training-time switch (Figs. 6 and 7)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    data = cells[cells['ours'].notna()]
    if data.empty:
        _empty_note(ax, cells)
    else:
        sns.lineplot(data=data.rename(columns={'column': 'benchmark'}), x='x', y='ours', hue='benchmark', marker='o',
                     ax=ax)
        ax.legend(title='benchmark (ours)', fontsize=8)
    if experiment.param == 'λ':
        ax.set_xscale('log')
    ax.set_xlabel(experiment.param)
    ax.set_ylabel('mIoU (%)')
    ax.set_title(_title(experiment, smoke), fontsize=9)
    fig.subplots_adjust(bottom=0.2)
    fig.text(0.01, 0.01, "The paper's curve exists only as an image: not shown.", fontsize=7)
    return fig


def _facet_lines(experiment: Experiment, cells: pd.DataFrame, smoke: bool, facet: str, hue: str, xlabel: str):
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
        ax.set_xlabel(xlabel)
        ax.set_ylabel('mIoU (%)')
    fig.suptitle(_title(experiment, smoke), fontsize=9)
    fig.tight_layout()
    return fig


def plot_p_inference(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """Table 8: mIoU against the test-time P, one panel per benchmark, ours and the paper's."""
    return _facet_lines(experiment, cells, smoke, facet='column', hue='source', xlabel='P (inference)')


def plot_crop_size(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """Table 14: mIoU against the inference crop size, one panel per backbone."""
    return _facet_lines(experiment, cells, smoke, facet='group', hue='benchmark', xlabel='crop size (paper pixels)')


def plot_latency_scatter(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """Fig. 1: mIoU against latency on A-847; ours measured, other methods the paper's."""
    fig, ax = plt.subplots(figsize=(7, 4.8))
    points = []
    for variant, group in cells.groupby('variant', sort=False):
        by = group.set_index('metric')
        for source, col in ((PAPER, 'paper'), (OURS, 'ours')):
            lat, miou = by[col].get('latency_ms', np.nan), by[col].get('mIoU', np.nan)
            if np.isfinite(lat) and np.isfinite(miou):
                points.append(dict(method=variant, source=source, latency=lat, mIoU=miou))
    frame = pd.DataFrame(points)
    if frame.empty:
        _empty_note(ax, cells)
    else:
        sns.scatterplot(data=frame, x='latency', y='mIoU', hue='source', style='source', s=70, ax=ax)
        for p in frame.itertuples():
            ax.annotate(f'{p.method} ({p.source})', (p.latency, p.mIoU), fontsize=7, xytext=(4, 3),
                        textcoords='offset points')
        ax.set_xscale('log')
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel('latency (ms, log scale; paper: RTX 3090, ours: the device of the record)')
    ax.set_ylabel('A-847 mIoU (%)')
    ax.set_title(_title(experiment, smoke), fontsize=9)
    return fig


def plot_efficiency_bars(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """Table 11: GFLOPs, memory and latency of each SSR/CSR variant, ours beside the paper's."""
    data = _long(cells[cells['metric'].isin(['aggregator_gflops', 'memory_gib', 'aggregator_ms'])])
    names = {'aggregator_gflops': 'aggregator GFLOPs', 'memory_gib': 'peak memory (GiB)',
             'aggregator_ms': 'aggregator latency (ms)'}
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    for ax, (metric, label) in zip(axes, names.items()):
        part = data[data['metric'] == metric]
        if part.empty:
            _empty_note(ax, cells[cells['metric'] == metric])
        else:
            sns.barplot(data=part, x='variant', y='value', hue='source', ax=ax)
            ax.tick_params(axis='x', labelrotation=20, labelsize=7)
            ax.legend(fontsize=7)
        ax.set_xlabel('')
        ax.set_ylabel(label)
    fig.suptitle(_title(experiment, smoke) + ' (ours: the device of the record; paper: RTX 3090)', fontsize=9)
    fig.tight_layout()
    return fig


#: Plot name (``Experiment.plot``) -> function(experiment, cells, smoke) -> Figure.
PLOTS: Dict[str, Callable] = {
    'sweep': plot_sweep, 'p_inference': plot_p_inference, 'crop_size': plot_crop_size,
    'latency_scatter': plot_latency_scatter, 'efficiency_bars': plot_efficiency_bars,
}


def plot_experiment(experiment: Experiment, cells: pd.DataFrame, smoke: bool):
    """The figure of an experiment (see :data:`PLOTS`)."""
    if experiment.plot not in PLOTS:
        raise ValueError(f'{experiment.key}: unknown plot {experiment.plot!r}; expected one of {list(PLOTS)}')
    sns.set_theme(style='whitegrid')
    return PLOTS[experiment.plot](experiment, cells, smoke)


def write_plot(experiment: Experiment, cells: pd.DataFrame, out_dir: Path, smoke: bool) -> Path:
    """Draw and save an experiment's plot as ``<key>[_smoke].png`` (atomically)."""
    fig = plot_experiment(experiment, cells, smoke)
    try:
        path = Path(out_dir) / f'{experiment.key}{"_smoke" if smoke else ""}.png'
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120)
        return path
    finally:
        plt.close(fig)
