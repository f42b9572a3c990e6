"""Checking a data root before a long run starts."""
import os.path as osp
from typing import Union

from mmseg.registry import DATASETS

from .benchmarks import Benchmark, get_benchmark
from .prepared_dataset import PreparedSegDataset

__all__ = ['load_split', 'load_dataset_index']


def load_dataset_index(dataset_cfg: dict, name: str = '') -> PreparedSegDataset:
    """The dataset of an MMSeg dataset config, without its pipeline (``.data_list``: label maps and images).

    Raises:
        FileNotFoundError: The data root, the label folder, its label maps or their images are missing (the
            message names them and says how to prepare benchmark ``name``).
    """
    cfg = dict(dataset_cfg)
    data_root = cfg.get('data_root')
    if data_root and not osp.isdir(data_root):
        hint = f'errseg prepare {name} --src RAW --dst {data_root}' if name else 'errseg prepare'
        raise FileNotFoundError(f'data root {data_root!r} does not exist; prepare the dataset into it with `{hint}`')
    cfg.update(pipeline=[], serialize_data=False)  # keep .data_list readable
    cls = DATASETS.get(cfg.pop('type'))  # built directly: registry builds would re-wrap our message
    return cls(**cfg)


def load_split(benchmark: Union[str, Benchmark], data_root: str, split: str = 'val') -> PreparedSegDataset:
    """The dataset, without pipeline, of a prepared split of a benchmark (see :func:`load_dataset_index`)."""
    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    return load_dataset_index(bench.dataset_cfg(data_root, split), bench.name)
