"""How a paper table or figure is declared: its columns (metrics of runs on a benchmark), its variants (the
base config plus the paper's switches) and the paper's figures."""
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from ..datasets.benchmarks import BENCHMARKS

__all__ = ['SOURCES', 'TEST_KEYS', 'Column', 'Variant', 'Experiment', 'benchmark_columns', 'paper_row']

#: Where a column's value comes from: an evaluation record's ``metrics``, a profile record, the Table 1 /
#: Table 2 analysis records, or seen/unseen mIoU from an evaluation record and a similarity split.
SOURCES = ('eval', 'profile', 'dataset_stats', 'similarity', 'seen_unseen')

#: Keys a variant may change at inference only (no training needed).
TEST_KEYS = ('num_selected', 'crop_size', 'decode_head.top_k')


@dataclass(frozen=True)
class Column:
    """One column of a table: a quantity measured on a benchmark.

    Args:
        name: Header, as the paper prints it (``'A-847'``, ``'A-150 Latency'``).
        dataset: Benchmark the value is measured on (profile columns: its T and official P); ``None``: the row's.
        metric: Key of the value in the record (``'mIoU'``, ``'latency_ms'``, ...).
        source: One of :data:`SOURCES`.
        digits: Decimals shown.
        comparable: Whether ours stands beside the paper's figure (not latency and memory, measured
            on another device: compare their ratios instead).
        per_row: A ratio column: divided by the same quantity of the row of this label.
        per_baseline: A ratio column: divided by the same quantity of a baseline the profiler measured
            in the same run (a key of the record's ``baselines``).
    """
    name: str
    dataset: Optional[str] = None
    metric: str = 'mIoU'
    source: str = 'eval'
    digits: int = 1
    comparable: bool = True
    per_row: Optional[str] = None
    per_baseline: Optional[str] = None

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f'column {self.name!r}: source {self.source!r} is not one of {SOURCES}')
        if (self.per_row or self.per_baseline) and self.source != 'profile':
            raise ValueError(f'column {self.name!r}: ratios are of profile measurements only')


@dataclass(frozen=True)
class Variant:
    """One row (or, in Table 8, one cell group) of an experiment.

    Args:
        label: Row label as in the paper.
        train: Model overrides that need training (``{'decode_head.class_removal': False}``).
        test: Inference-only changes (:data:`TEST_KEYS`): test-time P, input size (paper pixels), top k.
        model: Model size, ``'b'`` (ERR-Seg-B) or ``'l'`` (ERR-Seg-L).
        train_crop: Training (and default inference) crop, paper pixels, when not the official 640.
        paper: Column name -> the paper's figure (``None``: the paper prints '-').
        group: Section of the table (Table 6's 'Cost maps', Table 14's backbone).
        row: Display row when several variants share one (Table 8).
        descr: Descriptive columns (Table 3's VLM, Img., Txt., ...).
        columns: The experiment's columns this variant fills (default: all).
        metrics: Metric remapping per column metric (Table 9's ground-truth row).
        dataset: Benchmark of the row, for tables whose rows are datasets (Table 2).
        paper_only: Why we do not measure this row (another method's): the paper's figures only.
        unsupported: Why this project cannot run this configuration.
        x: Value of the swept parameter (plots, Table 8).
    """
    label: str
    train: Mapping[str, Any] = field(default_factory=dict)
    test: Mapping[str, Any] = field(default_factory=dict)
    model: str = 'b'
    train_crop: Optional[int] = None
    paper: Mapping[str, Optional[float]] = field(default_factory=dict)
    group: str = ''
    row: Optional[str] = None
    descr: Mapping[str, str] = field(default_factory=dict)
    columns: Optional[Tuple[str, ...]] = None
    metrics: Mapping[str, str] = field(default_factory=dict)
    dataset: Optional[str] = None
    paper_only: Optional[str] = None
    unsupported: Optional[str] = None
    x: Optional[float] = None

    def __post_init__(self):
        if self.model not in ('b', 'l'):
            raise ValueError(f'variant {self.label!r}: model must be "b" or "l", got {self.model!r}')
        if bad := [k for k in self.test if k not in TEST_KEYS]:
            raise ValueError(f'variant {self.label!r}: {bad} are not inference-only keys {TEST_KEYS}; '
                             'put switches that change training under train=')

    @property
    def measured(self) -> bool:
        """Whether ours is measured (not another method's row, not an unsupported configuration)."""
        return self.paper_only is None and self.unsupported is None

    @property
    def trains_own_model(self) -> bool:
        """Whether this variant's model must be trained (no official checkpoint stands in for it)."""
        return bool(self.train) or self.train_crop is not None

    def fills(self, column: Column) -> bool:
        return self.columns is None or column.name in self.columns


@dataclass(frozen=True)
class Experiment:
    """A table or figure of the paper's experiments section.

    Args:
        key, title, caption: ``'table6'``, ``'Table 6'`` and the paper's caption.
        columns: The measured columns.
        variants: The rows.
        plot: Plot drawn from it (a name in ``mmseg_errseg.views.plots.PLOTS``), if any.
        layout: ``'rows'`` (variant rows x columns) or ``'param_per_dataset'`` (Table 8: per dataset
            its own swept values beside the metric).
        param: Name of the swept parameter (axis label, Table 8's value column).
        notes: Lines printed under the table.
    """
    key: str
    title: str
    caption: str
    columns: Tuple[Column, ...]
    variants: Tuple[Variant, ...]
    plot: Optional[str] = None
    layout: str = 'rows'
    param: Optional[str] = None
    notes: Tuple[str, ...] = ()

    def __post_init__(self):
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f'{self.key}: column names repeat: {names}')
        for v in self.variants:  # paper figures for, or a variant filling, columns the experiment does not have
            if unknown := (set(v.paper) | set(v.columns or ())) - set(names):
                raise ValueError(f'{self.key}, variant {v.label!r}: unknown columns {unknown}')
        for c in self.columns:
            if c.per_row is not None and [v.label for v in self.variants].count(c.per_row) != 1:
                raise ValueError(f'{self.key}, column {c.name!r}: no single row {c.per_row!r} to divide by')
        if self.layout not in ('rows', 'param_per_dataset'):
            raise ValueError(f'{self.key}: unknown layout {self.layout!r}')

    def dataset_of(self, variant: Variant, column: Column) -> Optional[str]:
        return variant.dataset or column.dataset

    def metric_of(self, variant: Variant, column: Column) -> str:
        return variant.metrics.get(column.metric, column.metric)


def benchmark_columns(datasets: Sequence[str], **kwargs) -> Tuple[Column, ...]:
    """One column per benchmark, named by its paper title (the benchmark table's)."""
    return tuple(Column(BENCHMARKS[d].title, d, **kwargs) for d in datasets)


def paper_row(columns: Sequence[Column], values: Sequence[Optional[float]]) -> Dict[str, Optional[float]]:
    """Pair the paper's figures of a row with the columns, in order (``None`` for '-')."""
    if len(columns) != len(values):
        raise ValueError(f'{len(values)} figures for {len(columns)} columns')
    return {c.name: v for c, v in zip(columns, values)}
