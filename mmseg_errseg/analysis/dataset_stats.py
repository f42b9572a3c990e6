"""Paper Table 1: classes per image and class redundancy of each evaluation set.

For a dataset with T classes, the average number of classes per image is the
mean over its images of the number of distinct labels in 0..T-1 (ignored
pixels do not count); the redundancy is ``1 - average / T``, the share of the
vocabulary an image does not contain. Measured on the prepared label maps;
the paper's figures are shown beside ours, labelled as the paper's.
"""
import datetime
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import pandas as pd

__all__ = [
    'PAPER_TABLE1', 'TABLE1_DATASETS', 'classes_in_label_map', 'classes_per_image', 'dataset_stats',
    'table1_markdown', 'write_dataset_stats'
]

#: Paper Table 1 (average classes per image, redundancy in percent).
PAPER_TABLE1: Dict[str, Dict[str, float]] = {
    'voc20': dict(avg_classes=1.5, redundancy=92.5),
    'pc59': dict(avg_classes=4.8, redundancy=91.9),
    'ade150': dict(avg_classes=8.5, redundancy=94.3),
    'pc459': dict(avg_classes=6.5, redundancy=98.6),
    'ade847': dict(avg_classes=10.2, redundancy=98.8),
}
#: Column order of the paper's Table 1.
TABLE1_DATASETS = ('voc20', 'pc59', 'ade150', 'pc459', 'ade847')


def classes_in_label_map(args) -> int:
    """Distinct labels in ``[0, num_classes)`` of one label map; ``args`` = (path, num_classes)."""
    from mmseg_errseg.datasets import read_label_map
    path, num_classes = args
    values = np.unique(read_label_map(path))
    return int(np.count_nonzero((values >= 0) & (values < num_classes)))


def classes_per_image(name: str, data_root: str, split: str = 'val', nproc: int = 1) -> np.ndarray:
    """The number of classes in each image of a prepared split (with a progress bar).

    Args:
        name: Benchmark name.
        data_root: Data root of the prepared dataset.
        split: Split.
        nproc: Worker processes.

    Returns:
        One count per image, in file order.
    """
    from mmengine.utils import track_parallel_progress, track_progress

    from mmseg_errseg.datasets import get_benchmark, load_split

    bench = get_benchmark(name)
    dataset = load_split(bench, data_root, split)
    tasks = [(d['seg_map_path'], bench.num_classes) for d in dataset.data_list]
    print(f'{bench.name} {split}: {len(tasks)} label maps')
    if nproc > 1:
        counts = track_parallel_progress(classes_in_label_map, tasks, nproc, chunksize=16)
    else:
        counts = track_progress(classes_in_label_map, tasks)
    return np.asarray(counts, dtype=np.int64)


def dataset_stats(names: Sequence[str] = TABLE1_DATASETS, data_root: str = 'data', split: str = 'val',
                  nproc: int = 1) -> pd.DataFrame:
    """Table 1 measured on the prepared datasets, with the paper's figures beside ours.

    Args:
        names: Benchmarks.
        data_root: Data root.
        split: Split.
        nproc: Worker processes.

    Returns:
        One row per dataset: ``dataset``, ``title``, ``num_classes`` (T),
        ``images``, ``avg_classes``, ``redundancy`` (percent), ``paper_avg_classes``,
        ``paper_redundancy`` (NaN where the paper has no figure).
    """
    from mmseg_errseg.datasets import get_benchmark

    rows = []
    for name in names:
        bench = get_benchmark(name)
        counts = classes_per_image(bench.name, data_root, split, nproc)
        avg = float(counts.mean())
        paper = PAPER_TABLE1.get(bench.name, {})
        rows.append(dict(dataset=bench.name, title=bench.title, num_classes=bench.num_classes, images=len(counts),
                         avg_classes=avg, redundancy=100.0 * (1.0 - avg / bench.num_classes),
                         paper_avg_classes=paper.get('avg_classes', np.nan),
                         paper_redundancy=paper.get('redundancy', np.nan)))
    return pd.DataFrame(rows)


def table1_markdown(df: pd.DataFrame) -> str:
    """The paper's layout (datasets as columns), our rows and the paper's rows."""

    def fmt(v, pattern):
        return '-' if pd.isna(v) else pattern.format(v)

    table = pd.DataFrame({
        r.title: {
            'T (classes)': str(r.num_classes),
            'images': str(r.images),
            'Average (ours)': fmt(r.avg_classes, '{:.1f}'),
            'Average (paper)': fmt(r.paper_avg_classes, '{:.1f}'),
            'Redundancy (ours)': fmt(r.redundancy, '{:.1f}%'),
            'Redundancy (paper)': fmt(r.paper_redundancy, '{:.1f}%'),
        } for r in df.itertuples()
    })
    return ('Table 1: classes per image and redundancy (1 - average / T) of the evaluation sets. '
            '"ours": measured on the prepared label maps; "paper": Table 1 of the paper.\n\n'
            + table.to_markdown() + '\n')


def write_dataset_stats(df: pd.DataFrame, out_dir: str, meta: Optional[dict] = None) -> List[str]:
    """Write ``dataset_stats.csv``, ``.md`` and a ``.json`` record (atomically).

    Args:
        df: :func:`dataset_stats`.
        out_dir: Output folder.
        meta: Extra keys of the JSON record (data root, split, ...).

    Returns:
        The paths written.
    """
    from ..utils import environment_info, write_json, write_text

    paths = []
    for ext, text in (('csv', df.to_csv(index=False, float_format='%.4f')), ('md', table1_markdown(df))):
        paths.append(str(write_text(osp.join(out_dir, f'dataset_stats.{ext}'), text)))
    record = dict(kind='dataset_stats', rows=df.astype(object).where(df.notna(), None).to_dict(orient='records'),
                  environment=environment_info('cpu'),
                  created=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec='seconds'),
                  **(meta or {}))
    paths.append(str(write_json(osp.join(out_dir, 'dataset_stats.json'), record)))
    return paths
