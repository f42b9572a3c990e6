"""PASCAL VOC 2012 with 20 classes (PAS-20), validation.

Raw layout: ``VOCdevkit/VOC2012`` (``VOCtrainval_11-May-2012.tar``) with
``JPEGImages/``, ``ImageSets/Segmentation/val.txt`` (1,449 ids) and
``SegmentationClassAug/`` (SBD-augmented labels, as the official README) or
VOC's own ``SegmentationClass/`` (palette PNGs; identical on the validation
set). Values: 0 background, 1..20 the classes, 255 the object borders. As the
official ``prepare_voc.py``: 0 -> 255 (background ignored), k -> k - 1,
255 stays 255.
"""
import os.path as osp

import numpy as np

from ..benchmarks import get_benchmark
from ..loading import read_label_map
from .common import PrepareReport, check_range, convert_splits, lookup_table, read_id_list, require, split_items

__all__ = ['prepare_voc20']

_LUT = lookup_table({0: 255, **{k: k - 1 for k in range(1, 21)}, 255: 255}, 256, 255, np.uint8)
_ALLOWED = np.array(list(range(21)) + [255])


def _convert(path: str):
    raw = read_label_map(path)
    check_range(np.unique(raw), _ALLOWED, path, 'VOC labels 0..20 or 255')
    return _LUT[raw], None, 0


def prepare_voc20(src: str, dst: str, link: str = 'symlink', overwrite: bool = False,
                  nproc: int = 1) -> PrepareReport:
    """Convert PASCAL VOC 2012 (``src``: ``VOCdevkit/VOC2012``) into ``dst`` (validation)."""
    bench = get_benchmark('voc20')
    expected = ('VOCdevkit/VOC2012/ with JPEGImages/, ImageSets/Segmentation/val.txt and SegmentationClassAug/ '
                'or SegmentationClass/')
    require(bench.name, src, ['JPEGImages', 'ImageSets/Segmentation/val.txt'], expected)
    label_dir = next((osp.join(src, d) for d in ('SegmentationClassAug', 'SegmentationClass')
                      if osp.isdir(osp.join(src, d))), None)
    if label_dir is None:
        raise FileNotFoundError(f'voc20: --src {src!r} lacks SegmentationClassAug/ and SegmentationClass/ '
                                f'(expected {expected})')
    ids = read_id_list(osp.join(src, 'ImageSets', 'Segmentation', 'val.txt'))
    items = split_items(bench, 'val', dst, [(i, osp.join(src, 'JPEGImages', i + '.jpg'),
                                             osp.join(label_dir, i + '.png')) for i in ids],
                        'validation images / label maps of ImageSets/Segmentation/val.txt')
    return convert_splits(bench, dst, {'val': items}, _convert, [f'labels from {osp.basename(label_dir)}/'],
                          link=link, overwrite=overwrite, nproc=nproc)
