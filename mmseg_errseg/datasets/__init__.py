"""Datasets of the paper: registry, registered MMSeg datasets, loading, synthetic data, preparation."""
from .benchmarks import (BENCHMARKS, EVAL_BENCHMARKS, RESIZE_BACKENDS, TRAIN_BENCHMARK, Benchmark, Split,
                         get_benchmark, test_pipeline, train_pipeline)
from .loading import LoadFullRangeAnnotations, read_label_map
from .prepared_dataset import (ADE20K150Dataset, ADE20K847Dataset, COCOStuff171Dataset, PascalContext59Dataset,
                               PascalContext459Dataset, PascalVOC20Dataset, PreparedSegDataset, load_dataset_index,
                               load_split)
from .resize import PillowResizeShortestEdge, shortest_edge_size
from .synthetic import make_dataset

__all__ = [
    'BENCHMARKS', 'EVAL_BENCHMARKS', 'RESIZE_BACKENDS', 'TRAIN_BENCHMARK', 'Benchmark', 'Split', 'get_benchmark',
    'test_pipeline', 'train_pipeline', 'load_split', 'load_dataset_index', 'LoadFullRangeAnnotations', 'read_label_map',
    'PreparedSegDataset', 'COCOStuff171Dataset', 'ADE20K150Dataset', 'ADE20K847Dataset',
    'PascalContext59Dataset', 'PascalContext459Dataset', 'PascalVOC20Dataset', 'make_dataset',
    'PillowResizeShortestEdge', 'shortest_edge_size'
]
