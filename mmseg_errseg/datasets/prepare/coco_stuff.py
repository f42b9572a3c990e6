"""COCO-Stuff-171 from the public release (COCO 2017 images + stuffthingmaps_trainval2017).

Raw layout (the official README's): ``coco-stuff/images/{train2017,val2017}/*.jpg``
and ``coco-stuff/annotations/{train2017,val2017}/*.png`` (stuffthingmaps: uint8,
COCO category id - 1, 255 unlabelled). The 171 ids in use (80 things, 91
stuff) become 0..170 in id order, anything else 255 (as the official
``prepare_coco_stuff.py``).
"""
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from ..benchmarks import get_benchmark
from ..loading import read_label_map
from .common import PrepareReport, convert_splits, folder_items, lookup_table, require

__all__ = ['prepare_coco_stuff171', 'COCO_STUFF171_RAW_IDS']

#: stuffthingmaps values of the 171 classes, in label order: the 80 thing ids
#: (COCO ids 1..90 without the 10 unused ones, minus 1) then the 91 stuff ids.
COCO_STUFF171_RAW_IDS = tuple(
    [i for i in range(90) if i not in (11, 25, 28, 29, 44, 65, 67, 68, 70, 82)] + list(range(91, 182)))
_LUT = lookup_table({raw: i for i, raw in enumerate(COCO_STUFF171_RAW_IDS)}, 256, 255, np.uint8)
_SPLITS = {'train': 'train2017', 'val': 'val2017'}


def _convert(path: str):
    raw = read_label_map(path)
    if raw.dtype != np.uint8:
        raise ValueError(f'{path}: malformed stuffthingmap, expected uint8 labels, got {raw.dtype}')
    label = _LUT[raw]
    return label, None, int(np.count_nonzero((label == 255) & (raw != 255)))


def prepare_coco_stuff171(src: str, dst: str, splits: Optional[Sequence[str]] = None, link: str = 'symlink',
                          overwrite: bool = False, nproc: int = 1) -> PrepareReport:
    """Convert COCO-Stuff (``src``: the ``coco-stuff`` folder) into ``dst``; ``splits``: train and/or val."""
    bench = get_benchmark('coco_stuff171')
    splits = list(splits or ('train', 'val'))
    for s in splits:
        if s not in _SPLITS:
            raise ValueError(f'coco_stuff171: unknown split {s!r}; expected train and/or val')
    expected = 'coco-stuff/ with images/{train2017,val2017}/*.jpg and annotations/{train2017,val2017}/*.png'
    require(bench.name, src, [osp.join(d, _SPLITS[s]) for s in splits for d in ('images', 'annotations')],
            expected)
    items = {s: folder_items(bench, s, dst, src, _SPLITS[s], f'{_SPLITS[s]} images and label maps in {src!r}')
             for s in splits}
    return convert_splits(bench, dst, items, _convert, link=link, overwrite=overwrite, nproc=nproc)
