"""PASCAL-Context 459 and 59 classes (validation) from the public release.

Raw layout: ``VOCdevkit/VOC2010`` (``VOCtrainval_03-May-2010.tar``) with
``JPEGImages/`` and the PASCAL-Context annotations extracted into it:
``trainval/<id>.mat`` (``trainval.tar.gz``; ``LabelMap``: uint16, 0 unlabelled,
1..459 the classes of its ``labels.txt``) and, for the official PC-59 route,
``trainval_merged.json`` (Detail API annotations).

- PC-459 (official ``prepare_pascal_context_459.py``): the 5,104 validation
  ids of ``meta/pascalcontext_val.txt``; labels ``LabelMap - 1`` with 0 ->
  65535, written as uint16 TIFF.
- PC-59 (official ``prepare_pascal_context_59.py``): every ``phase == "val"``
  image of ``trainval_merged.json``; its instance masks are painted in order
  with their category id, then the 59 frequent ids become 0..58 and everything
  else (background) 255. The same 59 ids exist in ``LabelMap``, so without the
  JSON (its public link is dead) the labels are taken from ``trainval/*.mat``
  of the same validation ids instead; which source was used is reported.
"""
import json
import os.path as osp
from typing import Optional

import numpy as np

from ..benchmarks import get_benchmark
from .common import PrepareReport, check_range, convert_splits, lookup_table, read_id_list, require, split_items

__all__ = ['prepare_pc459', 'prepare_pc59', 'PC59_CONTEXT_IDS', 'PASCAL_CONTEXT_VAL_IDS']

#: PASCAL-Context ids (``labels.txt``, 1-based) of the 59 classes, in label order.
PC59_CONTEXT_IDS = (2, 9, 18, 19, 22, 23, 25, 31, 33, 34, 44, 45, 46, 59, 65, 68, 72, 80, 85, 98, 104, 105, 113,
                    115, 144, 158, 159, 162, 187, 189, 207, 220, 232, 258, 259, 260, 284, 295, 296, 308, 324, 326,
                    347, 349, 354, 355, 360, 366, 368, 397, 415, 416, 420, 424, 427, 440, 445, 454, 458)
#: The 5,104 validation ids (shipped copy of the official ``pascalcontext_val.txt``).
PASCAL_CONTEXT_VAL_IDS = osp.join(osp.dirname(osp.dirname(__file__)), 'meta', 'pascalcontext_val.txt')
_PC59_LUT = lookup_table({cid: i for i, cid in enumerate(PC59_CONTEXT_IDS)}, 65536, 255, np.uint8)
_PC459_LUT = lookup_table({0: 65535, **{v: v - 1 for v in range(1, 460)}}, 65536, 65535, np.uint16)


def _label_map(path: str) -> np.ndarray:
    from scipy.io import loadmat
    try:
        label = loadmat(path)['LabelMap']
    except (KeyError, ValueError, OSError) as e:
        raise ValueError(f'{path}: malformed PASCAL-Context annotation, expected a .mat with LabelMap ({e})')
    if label.ndim != 2 or not np.issubdtype(label.dtype, np.integer):
        raise ValueError(f'{path}: malformed LabelMap, shape {label.shape}, dtype {label.dtype}')
    check_range(np.unique(label), np.arange(460), path, 'PASCAL-Context ids 0..459')
    return label.astype(np.int64)


def _convert_pc459(path: str):
    return _PC459_LUT[_label_map(path)], None, 0


def _convert_pc59_mat(path: str):
    raw = _label_map(path)
    label = _PC59_LUT[raw]
    return label, None, int(np.count_nonzero((label == 255) & (raw != 0)))


def _convert_pc59_json(source):
    from pycocotools import mask as mask_utils
    (h, w), annotations = source
    raw = np.zeros((h, w), dtype=np.int64)
    for category_id, rle in annotations:  # painted in file order: later instances win, as the official script
        raw[mask_utils.decode(rle) > 0] = category_id
    label = _PC59_LUT[np.clip(raw, 0, 65535)]
    return label, None, int(np.count_nonzero((label == 255) & (raw != 0)))


def _mat_items(bench, src, dst, ids):
    return split_items(bench, 'val', dst, [(i, osp.join(src, 'JPEGImages', i + '.jpg'),
                                            osp.join(src, 'trainval', i + '.mat')) for i in read_id_list(ids)],
                       'validation images / trainval/*.mat annotations')


def prepare_pc459(src: str, dst: str, ids: Optional[str] = None, link: str = 'symlink',
                  overwrite: bool = False, nproc: int = 1) -> PrepareReport:
    """Convert PASCAL-Context 459 (``src``: ``VOCdevkit/VOC2010``) into ``dst``; ``ids``: validation id list."""
    bench = get_benchmark('pc459')
    require(bench.name, src, ['JPEGImages', 'trainval'],
            'VOCdevkit/VOC2010/ with JPEGImages/ and trainval/*.mat from PASCAL-Context trainval.tar.gz')
    items = _mat_items(bench, src, dst, ids or PASCAL_CONTEXT_VAL_IDS)
    return convert_splits(bench, dst, {'val': items}, _convert_pc459, link=link, overwrite=overwrite, nproc=nproc)


def _json_items(bench, src, dst, path):
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    try:
        images = {d['image_id']: d for d in data['images'] if d.get('phase') == 'val'}
        annotations = {k: [] for k in images}
        for ann in data['annos_segmentation']:
            if ann['image_id'] in annotations:
                annotations[ann['image_id']].append((int(ann['category_id']), ann['segmentation']))
    except (KeyError, TypeError) as e:
        raise ValueError(f'{path}: malformed Detail annotations, missing {e} (expected "images" with "phase" and '
                         '"annos_segmentation")')
    entries = [(osp.splitext(d['file_name'])[0], osp.join(src, 'JPEGImages', d['file_name']),
                ((int(d['height']), int(d['width'])), annotations[image_id]))
               for image_id, d in sorted(images.items(), key=lambda kv: kv[1]['file_name'])]
    return split_items(bench, 'val', dst, entries, 'validation images listed in trainval_merged.json')


def prepare_pc59(src: str, dst: str, ids: Optional[str] = None, source: str = 'auto', link: str = 'symlink',
                 overwrite: bool = False, nproc: int = 1) -> PrepareReport:
    """Convert PASCAL-Context 59 (``src``: ``VOCdevkit/VOC2010``) into ``dst``.

    ``source``: ``json`` (official), ``mat`` or ``auto`` (json when present); ``ids``: the ``mat`` id list.
    """
    bench = get_benchmark('pc59')
    if source not in ('auto', 'json', 'mat'):
        raise ValueError(f'pc59: --source {source!r}: expected auto, json or mat')
    json_path = osp.join(src, 'trainval_merged.json')
    if source == 'auto':
        source = 'json' if osp.isfile(json_path) else 'mat'
    needed = ['JPEGImages', 'trainval_merged.json' if source == 'json' else 'trainval']
    require(bench.name, src, needed, 'VOCdevkit/VOC2010/ with JPEGImages/ and trainval_merged.json (Detail '
            'annotations) or trainval/*.mat (PASCAL-Context trainval.tar.gz)')
    if source == 'json':
        if ids:
            raise ValueError('pc59: --ids applies to the trainval/*.mat source; the JSON source uses its '
                             '"val" phase images')
        items, convert = _json_items(bench, src, dst, json_path), _convert_pc59_json
        note = 'labels from trainval_merged.json, its "val" phase (the official route)'
    else:
        items, convert = _mat_items(bench, src, dst, ids or PASCAL_CONTEXT_VAL_IDS), _convert_pc59_mat
        note = ('labels from trainval/*.mat (LabelMap restricted to the 59 classes); the official route reads '
                'trainval_merged.json, which was not used')
    return convert_splits(bench, dst, {'val': items}, convert, [note], link=link, overwrite=overwrite, nproc=nproc)
