"""Plots of the label-similarity analysis: sorted eval x train heatmaps and best-match distributions.

Views over :class:`mmseg_errseg.analysis.similarity.LabelSimilarity` (seaborn), each titled
with the encoder that produced it, saved atomically as PNG.
"""
from pathlib import Path
from typing import Sequence, Union

import matplotlib

matplotlib.use('Agg')  # files only; no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ..utils import atomic_path  # noqa: E402
from .paper_figures import dataset_label  # noqa: E402

__all__ = ['heatmap_order', 'plot_similarity_heatmap', 'plot_best_match_distribution']

_MAX_TICKS = 60


def heatmap_order(matrix: np.ndarray):
    """Row and column orders that bring each row's best match near the diagonal.

    Rows by best similarity (descending); columns by the first sorted row whose
    nearest class they are, then the never-nearest columns by their best
    similarity (descending).

    Args:
        matrix: (E, T) similarities.

    Returns:
        (row order, column order) index arrays.
    """
    rows = np.argsort(-matrix.max(axis=1), kind='stable')
    nearest = matrix.argmax(axis=1)[rows]
    _, first = np.unique(nearest, return_index=True)
    matched = nearest[np.sort(first)]
    rest = np.setdiff1d(np.arange(matrix.shape[1]), matched)
    rest = rest[np.argsort(-matrix[:, rest].max(axis=0), kind='stable')]
    return rows, np.concatenate([matched, rest])


def plot_similarity_heatmap(result, path: Union[str, Path]) -> Path:
    """Heatmap of one evaluation vocabulary's similarity to the training vocabulary, sorted.

    Args:
        result: A :class:`~analysis.similarity.LabelSimilarity`.
        path: PNG to write.

    Returns:
        The path.
    """
    rows, cols = heatmap_order(result.matrix)
    frame = pd.DataFrame(result.matrix[np.ix_(rows, cols)],
                         index=np.asarray(result.eval_classes, dtype=object)[rows],
                         columns=np.asarray(result.train_classes, dtype=object)[cols])
    e, t = frame.shape
    fig, ax = plt.subplots(figsize=(11, 8.5))
    sns.heatmap(frame, ax=ax, cmap='viridis', vmin=float(np.floor(frame.values.min() * 10) / 10), vmax=1.0,
                xticklabels=t <= _MAX_TICKS, yticklabels=e <= _MAX_TICKS,
                cbar_kws={'label': 'cosine similarity'})
    ax.set_xlabel(f'{dataset_label(result.train)} classes ({t}, ordered by first best match)')
    ax.set_ylabel(f'{dataset_label(result.dataset)} classes ({e}, by best-match similarity)')
    ax.set_title(f'{dataset_label(result.dataset)} vs {dataset_label(result.train)}: label similarity\n'
                 f'encoder: {result.encoder}', fontsize=11)
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110)
        return Path(path)
    finally:
        plt.close(fig)


def plot_best_match_distribution(results: Sequence, path: Union[str, Path], threshold: float = 0.95) -> Path:
    """Distribution of each evaluation class's best-match similarity, per vocabulary.

    Left: histogram; right: fraction of classes whose best match is >= x
    (Table 2 reads off it), with the seen/unseen threshold marked.

    Args:
        results: :class:`~analysis.similarity.LabelSimilarity` per vocabulary.
        path: PNG to write.
        threshold: Seen/unseen threshold to mark.

    Returns:
        The path.
    """
    data = pd.concat([pd.DataFrame({'dataset': f'{dataset_label(r.dataset)} ({len(r.eval_classes)})',
                                    'best-match similarity': r.best}) for r in results], ignore_index=True)
    encoders = ', '.join(sorted({r.encoder for r in results}))
    train = ', '.join(sorted({dataset_label(r.train) for r in results}))
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    sns.histplot(data, x='best-match similarity', hue='dataset', ax=left, stat='probability',
                 common_norm=False, element='step', fill=False, bins=40)
    sns.ecdfplot(data, x='best-match similarity', hue='dataset', ax=right, complementary=True)
    right.set_ylabel('fraction of classes with best match ≥ x')
    for ax in (left, right):
        ax.axvline(threshold, color='0.3', linestyle='--', linewidth=1)
    right.text(threshold, 1.02, f' seen ≥ {threshold:g}', color='0.3', fontsize=9, va='bottom')
    fig.suptitle(f'Best-match similarity of each evaluation class to {train}\nencoder: {encoders}',
                 fontsize=11)
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110)
        return Path(path)
    finally:
        plt.close(fig)
