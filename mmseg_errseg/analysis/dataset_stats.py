"""Paper Table 1 measured on the prepared label maps: per evaluation set with T classes, the average number
of distinct labels in 0..T-1 per image (ignored pixels do not count) and the redundancy ``1 - average / T``,
the share of the vocabulary an image does not contain. The table is a view (``mmseg_errseg.views``).
"""
from typing import Sequence

import numpy as np
import pandas as pd
from mmengine.utils import track_parallel_progress, track_progress

from ..datasets import get_benchmark, load_split, read_label_map

__all__ = ['classes_in_label_map', 'dataset_stats']


def classes_in_label_map(args) -> int:
    """Distinct labels in ``[0, num_classes)`` of one label map; ``args`` = (path, num_classes)."""
    path, num_classes = args
    values = np.unique(read_label_map(path))
    return int(np.count_nonzero((values >= 0) & (values < num_classes)))


def dataset_stats(names: Sequence[str], data_root: str = 'data', split: str = 'val', nproc: int = 1) -> pd.DataFrame:
    """Table 1 measured on the prepared datasets (with progress bars): per dataset ``dataset``, ``title``,
    ``num_classes`` (T), ``images``, ``avg_classes``, ``redundancy`` (percent)."""
    rows = []
    for name in names:
        bench = get_benchmark(name)
        tasks = [(d['seg_map_path'], bench.num_classes) for d in load_split(bench, data_root, split).data_list]
        print(f'{bench.name} {split}: {len(tasks)} label maps')
        counts = (track_parallel_progress(classes_in_label_map, tasks, nproc, chunksize=16) if nproc > 1
                  else track_progress(classes_in_label_map, tasks))
        avg = float(np.mean(counts))
        rows.append(dict(dataset=bench.name, title=bench.title, num_classes=bench.num_classes, images=len(counts),
                         avg_classes=avg, redundancy=100.0 * (1.0 - avg / bench.num_classes)))
    return pd.DataFrame(rows)
