"""Datasets of the paper: registry, registered MMSeg datasets, loading, synthetic data, preparation."""
from .benchmarks import (BENCHMARKS, EVAL_BENCHMARKS, RESIZE_BACKENDS, TRAIN_BENCHMARK, Benchmark, Split,
                         get_benchmark, test_pipeline, train_pipeline)
from .prepared_dataset import (ADE20K150Dataset, ADE20K847Dataset, COCOStuff171Dataset, PascalContext59Dataset,
                               PascalContext459Dataset, PascalVOC20Dataset, PreparedSegDataset, load_dataset_index,
                               load_split)
from .synthetic import make_dataset
from .transforms import LoadFullRangeAnnotations, PillowResizeShortestEdge, read_label_map, shortest_edge_size

__all__ = ['BENCHMARKS', 'EVAL_BENCHMARKS', 'RESIZE_BACKENDS', 'TRAIN_BENCHMARK', 'Benchmark', 'Split', 'get_benchmark',
           'test_pipeline', 'train_pipeline', 'load_split', 'load_dataset_index', 'LoadFullRangeAnnotations',
           'read_label_map', 'PreparedSegDataset', 'COCOStuff171Dataset', 'ADE20K150Dataset', 'ADE20K847Dataset',
           'PascalContext59Dataset', 'PascalContext459Dataset', 'PascalVOC20Dataset', 'make_dataset',
           'PillowResizeShortestEdge', 'shortest_edge_size']
