"""ADE20K-150 (ADEChallengeData2016) and ADE20K-847 (the full ADE20K release).

A-150 raw layout: ``ADEChallengeData2016/images/validation/*.jpg`` and
``annotations/validation/*.png`` (uint8, 0 unlabelled, 1..150). Labels become
``value - 1`` with 0 -> 255, as the official ``prepare_ade20k_150.py`` (and
MMSeg's ``reduce_zero_label``).

A-847 raw layout: ``ADE20K_2021_17_01/index_ade20k.pkl`` (lists ``folder`` and
``filename`` of every image) and ``images/ADE/validation/**/ADE_val_*.jpg``
with their ``*_seg.png``. As the official preparation: the object class of a
pixel is ``R // 10 * 256 + G`` of ``*_seg.png``; the 847 benchmark classes
(their ADE20K ids ship in ``meta/ade847_ade20k_ids.json``) become 0..846,
everything else 65535; images whose shorter side exceeds 512 are resized to
512 (image bilinear, labels nearest) and re-saved as JPEG; labels are written
as uint16 TIFF.
"""
import functools
import json
import os.path as osp
import pickle
from typing import List, Optional

import cv2
import numpy as np
from PIL import Image

from ..benchmarks import get_benchmark
from ..loading import read_label_map
from .common import PrepareReport, check_range, convert_splits, folder_items, lookup_table, require, split_items

__all__ = ['prepare_ade150', 'prepare_ade847', 'ade847_ade20k_ids', 'ADE847_MAX_SIDE']

_META = osp.join(osp.dirname(osp.dirname(__file__)), 'meta', 'ade847_ade20k_ids.json')
#: The official preparation resizes A-847 images whose shorter side exceeds this.
ADE847_MAX_SIDE = 512
_ADE150_LUT = lookup_table({0: 255, **{v: v - 1 for v in range(1, 151)}}, 256, 255, np.uint8)


def ade847_ade20k_ids() -> List[int]:
    """The full-ADE20K object class index of each A-847 class, in label order."""
    with open(_META, encoding='utf-8') as f:
        ids = json.load(f)['ids']
    if len(ids) != 847 or len(set(ids)) != 847:
        raise ValueError(f'{_META}: expected 847 distinct ids, got {len(ids)}')
    return ids


def _convert_ade150(path: str):
    raw = read_label_map(path)
    check_range(np.unique(raw), np.arange(151), path, 'ADE20K-150 labels 0..150')
    return _ADE150_LUT[raw], None, 0


def prepare_ade150(src: str, dst: str, link: str = 'symlink', overwrite: bool = False,
                   nproc: int = 1) -> PrepareReport:
    """Convert ADEChallengeData2016 (``src``) into the data root ``dst`` (validation; options: see ``prepare``)."""
    bench = get_benchmark('ade150')
    require(bench.name, src, ['images/validation', 'annotations/validation'],
            'ADEChallengeData2016/ with images/validation/*.jpg and annotations/validation/*.png')
    items = folder_items(bench, 'val', dst, src, 'validation', f'validation images and label maps in {src!r}')
    return convert_splits(bench, dst, {'val': items}, _convert_ade150, link=link, overwrite=overwrite, nproc=nproc)


@functools.lru_cache(maxsize=1)
def _ade847_lut() -> np.ndarray:
    ids = ade847_ade20k_ids()
    return lookup_table({i: k for k, i in enumerate(ids)}, max(ids) + 1, 65535, np.uint16)


def _convert_ade847(paths):
    img_path, seg_path = paths
    img = np.asarray(Image.open(img_path))
    seg = np.asarray(Image.open(seg_path))
    if seg.ndim != 3 or seg.shape[2] < 3:
        raise ValueError(f'{seg_path}: malformed ADE20K segmentation, expected an RGB image, got shape {seg.shape}')
    if seg.shape[:2] != img.shape[:2]:
        raise ValueError(f'{seg_path}: size {seg.shape[:2]} differs from its image {img.shape[:2]}')
    objects = (seg[..., 0].astype(np.int32) // 10) * 256 + seg[..., 1].astype(np.int32)
    h, w = img.shape[:2]
    if min(h, w) > ADE847_MAX_SIDE:  # the official preparation's resize (and rounding)
        m = ADE847_MAX_SIDE
        h, w = (m, round(w / float(h) * m)) if w >= h else (round(h / float(w) * m), m)
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
        objects = cv2.resize(objects, (w, h), interpolation=cv2.INTER_NEAREST)
    lut = _ade847_lut()
    label = np.where(objects < lut.size, lut[np.minimum(objects, lut.size - 1)], 65535).astype(np.uint16)
    unmapped = int(np.count_nonzero((label == 65535) & (objects != 0)))
    return label, img, unmapped


def _resolve(src: str, folder: str, filename: str) -> Optional[str]:
    """An index entry's image: ``folder`` starts with the release's own folder name."""
    folder = folder.replace('\\', '/')
    parts = folder.split('/')
    candidates = [osp.join(osp.dirname(osp.abspath(src)), folder, filename),
                  osp.join(src, *parts[1:], filename)]
    if 'images' in parts:
        candidates.append(osp.join(src, *parts[parts.index('images'):], filename))
    return next((c for c in candidates if osp.isfile(c)), candidates[0])


def prepare_ade847(src: str, dst: str, overwrite: bool = False, nproc: int = 1) -> PrepareReport:
    """Convert the full ADE20K release (``src``: ``ADE20K_2021_17_01``) into ``dst`` (validation)."""
    bench = get_benchmark('ade847')
    require(bench.name, src, ['index_ade20k.pkl'],
            'ADE20K_2021_17_01/ with index_ade20k.pkl and images/ADE/validation/')
    with open(osp.join(src, 'index_ade20k.pkl'), 'rb') as f:
        index = pickle.load(f)
    if not isinstance(index, dict) or 'filename' not in index or 'folder' not in index:
        raise ValueError(f'{osp.join(src, "index_ade20k.pkl")}: malformed index, expected a dict with '
                         '"filename" and "folder" lists')
    entries = []
    for folder, name in zip(index['folder'], index['filename']):
        if str(name).split('_')[1:2] != ['val']:  # ADE_val_00000001.jpg: the official split rule
            continue
        img = _resolve(src, str(folder), str(name))
        entries.append((osp.splitext(str(name))[0], img, (img, img[:-4] + '_seg.png')))
    items = split_items(bench, 'val', dst, entries, 'validation images and *_seg.png files listed in index_ade20k.pkl')
    return convert_splits(bench, dst, {'val': items}, _convert_ade847,
                          ['images with a shorter side above 512 are resized to 512 and re-saved as JPEG (official)'],
                          overwrite=overwrite, nproc=nproc)
