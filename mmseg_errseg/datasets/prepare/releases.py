"""The public raw releases: where their files are and how their labels convert (the official ``prepare_*.py``).

A reader takes the raw release folder (and its own options) and returns a :class:`Plan`. A converter (run in
worker processes) maps its input to (label map, image to write or ``None``, labelled pixels set to ignore).
"""
import functools
import json
import os
import os.path as osp
import pickle
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from ..benchmarks import Benchmark
from ..transforms import read_label_map

__all__ = ['Plan', 'READERS', 'ade847_ade20k_ids', 'COCO_STUFF171_RAW_IDS', 'PC59_CONTEXT_IDS',
           'PASCAL_CONTEXT_VAL_IDS']

_META = osp.join(osp.dirname(osp.dirname(__file__)), 'meta')
#: The 5,104 PASCAL-Context validation ids (shipped copy of the official ``pascalcontext_val.txt``).
PASCAL_CONTEXT_VAL_IDS = osp.join(_META, 'pascalcontext_val.txt')
#: PASCAL-Context ids (``labels.txt``, 1-based) of the 59 classes, in label order.
PC59_CONTEXT_IDS = (2, 9, 18, 19, 22, 23, 25, 31, 33, 34, 44, 45, 46, 59, 65, 68, 72, 80, 85, 98, 104, 105, 113,
                    115, 144, 158, 159, 162, 187, 189, 207, 220, 232, 258, 259, 260, 284, 295, 296, 308, 324, 326,
                    347, 349, 354, 355, 360, 366, 368, 397, 415, 416, 420, 424, 427, 440, 445, 454, 458)
#: stuffthingmaps values of the 171 classes, in label order: the 80 thing ids
#: (COCO ids 1..90 without the 10 unused ones, minus 1) then the 91 stuff ids.
COCO_STUFF171_RAW_IDS = tuple(
    [i for i in range(90) if i not in (11, 25, 28, 29, 44, 65, 67, 68, 70, 82)] + list(range(91, 182)))


class Plan(NamedTuple):
    """What a reader found: per split ``(stem, raw image, converter input)`` of each image, and how to convert."""
    splits: Dict[str, List[Tuple[str, str, Any]]]
    convert: Callable[[Any], Tuple[np.ndarray, Optional[np.ndarray], int]]
    notes: Sequence[str] = ()


def require(bench: Benchmark, src: str, *paths: str) -> None:
    """Raise one error naming every required raw file/folder that is missing."""
    missing = [p for p in paths if not osp.exists(osp.join(src, p))]
    if missing:
        raise FileNotFoundError(f'{bench.name}: --src {src!r} lacks {", ".join(repr(m) for m in missing)} '
                                f'(expected {bench.raw_release})')


def lookup_table(mapping: Dict[int, int], size: int, fill: int, dtype) -> np.ndarray:
    """A label lookup table: ``table[raw] = new`` for the mapping, ``fill`` elsewhere."""
    table = np.full(size, fill, dtype=dtype)
    table[np.fromiter(mapping.keys(), dtype=np.int64)] = np.fromiter(mapping.values(), dtype=np.int64)
    return table


def check_range(label: np.ndarray, allowed: np.ndarray, path: str, expected: str) -> None:
    """Raise when a raw label map holds values outside the release's encoding."""
    bad = np.setdiff1d(label, allowed)
    if bad.size:
        raise ValueError(f'{path}: malformed label map, values {bad[:8].tolist()} are not {expected}')


def _id_entries(src: str, ids: str, label_dir: str, suffix: str) -> List[Tuple[str, str, str]]:
    """The images of an id list (one id per line): ``src/JPEGImages/ID.jpg`` with ``src/LABEL_DIR/ID<suffix>``."""
    if not osp.isfile(ids):
        raise FileNotFoundError(f'id list {ids!r} does not exist')
    return [(i, osp.join(src, 'JPEGImages', i + '.jpg'), osp.join(src, label_dir, i + suffix))
            for i in Path(ids).read_text(encoding='utf-8').split()]


def _convert_png(path: str, lut: np.ndarray, allowed: np.ndarray, expected: str):
    """A label map whose raw values must be ``allowed``, mapped by ``lut`` (A-150, PAS-20)."""
    raw = read_label_map(path)
    check_range(raw, allowed, path, expected)
    return lut[raw], None, 0


def _folder_entries(src: str, folder: str) -> List[Tuple[str, str, str]]:
    """``src/images/FOLDER/*.jpg`` with their ``src/annotations/FOLDER/*.png`` label maps."""
    ann_dir, img_dir = osp.join(src, 'annotations', folder), osp.join(src, 'images', folder)
    stems = sorted(f[:-4] for f in os.listdir(ann_dir) if f.endswith('.png'))
    return [(s, osp.join(img_dir, s + '.jpg'), osp.join(ann_dir, s + '.png')) for s in stems]


# ---------------------------------------------------------------------------- ADE20K-150
_ADE150_LUT = lookup_table({0: 255, **{v: v - 1 for v in range(1, 151)}}, 256, 255, np.uint8)


def read_ade150(bench: Benchmark, src: str) -> Plan:
    """ADEChallengeData2016: ``annotations/validation/*.png`` (0 unlabelled, 1..150) -> ``value - 1``, 0 -> 255."""
    require(bench, src, 'images/validation', 'annotations/validation')
    return Plan({'val': _folder_entries(src, 'validation')}, functools.partial(
        _convert_png, lut=_ADE150_LUT, allowed=np.arange(151), expected='ADE20K-150 labels 0..150'))


# ---------------------------------------------------------------------------- ADE20K-847
def ade847_ade20k_ids() -> List[int]:
    """The full-ADE20K object class index of each A-847 class, in label order (847 distinct: a test checks)."""
    return json.loads(Path(_META, 'ade847_ade20k_ids.json').read_text(encoding='utf-8'))['ids']


#: Every object class a segmentation can encode (``R // 10 * 256 + G`` < 26 * 256) -> its A-847 label or 65535.
_ADE847_LUT = lookup_table({i: k for k, i in enumerate(ade847_ade20k_ids())}, 26 * 256, 65535, np.uint16)


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
    if min(h, w) > 512:  # the official preparation's resize (and rounding) to a shorter side of 512
        h, w = (512, round(w / float(h) * 512)) if w >= h else (round(h / float(w) * 512), 512)
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
        objects = cv2.resize(objects, (w, h), interpolation=cv2.INTER_NEAREST)
    label = _ADE847_LUT[objects]
    unmapped = int(np.count_nonzero((label == 65535) & (objects != 0)))
    return label, img, unmapped


def _ade847_entry(src: str, folder: str, filename: str) -> Tuple[str, str, Tuple[str, str]]:
    """An index entry's paths: its ``folder`` is ``ADE20K_2021_17_01/images/...``, whatever ``src`` is named."""
    parts = folder.replace('\\', '/').split('/')
    img = osp.join(src, *(parts[parts.index('images'):] if 'images' in parts else parts[1:]), filename)
    return osp.splitext(filename)[0], img, (img, img[:-4] + '_seg.png')


def read_ade847(bench: Benchmark, src: str) -> Plan:
    """The full ADE20K release (``ADE20K_2021_17_01``), as the official preparation.

    The validation images of ``index_ade20k.pkl`` (``ADE_val_*``) with their ``*_seg.png``; the object
    class of a pixel is ``R // 10 * 256 + G``; the 847 benchmark classes (``meta/ade847_ade20k_ids.json``)
    become 0..846, everything else 65535 (uint16 TIFF); images with a shorter side above 512 are
    resized to 512 (image bilinear, labels nearest); every image is re-saved as JPEG.
    """
    require(bench, src, 'index_ade20k.pkl')
    index = pickle.loads(Path(src, 'index_ade20k.pkl').read_bytes())
    if not isinstance(index, dict) or 'filename' not in index or 'folder' not in index:
        raise ValueError(f'{osp.join(src, "index_ade20k.pkl")}: malformed index, expected a dict with '
                         '"filename" and "folder" lists')
    entries = [_ade847_entry(src, str(folder), str(name)) for folder, name in zip(index['folder'], index['filename'])
               if str(name).split('_')[1:2] == ['val']]  # ADE_val_00000001.jpg: the official split rule
    return Plan({'val': entries}, _convert_ade847,
                ['images with a shorter side above 512 are resized to 512 and re-saved as JPEG (official)'])


# ---------------------------------------------------------------------------- PASCAL-Context 459 / 59
_PC59_LUT = lookup_table({cid: i for i, cid in enumerate(PC59_CONTEXT_IDS)}, 65536, 255, np.uint8)
_PC459_LUT = lookup_table({0: 65535, **{v: v - 1 for v in range(1, 460)}}, 65536, 65535, np.uint16)


def _context_label_map(path: str) -> np.ndarray:
    from scipy.io import loadmat
    try:
        label = loadmat(path)['LabelMap']
    except (KeyError, ValueError, OSError) as e:
        raise ValueError(f'{path}: malformed PASCAL-Context annotation, expected a .mat with LabelMap ({e})')
    if label.ndim != 2 or not np.issubdtype(label.dtype, np.integer):
        raise ValueError(f'{path}: malformed LabelMap, shape {label.shape}, dtype {label.dtype}')
    check_range(label, np.arange(460), path, 'PASCAL-Context ids 0..459')
    return label.astype(np.int64)


def _convert_pc459(path: str):
    return _PC459_LUT[_context_label_map(path)], None, 0


def _convert_pc59(source):
    """A ``trainval/*.mat`` path, or the (size, instance masks) of an image of ``trainval_merged.json``."""
    if isinstance(source, str):
        raw = _context_label_map(source)
    else:
        from pycocotools import mask as mask_utils
        (h, w), annotations = source
        raw = np.zeros((h, w), dtype=np.int64)
        for category_id, rle in annotations:  # painted in file order: later instances win, as the official script
            raw[mask_utils.decode(rle) > 0] = category_id
        raw = np.clip(raw, 0, 65535)
    label = _PC59_LUT[raw]
    return label, None, int(np.count_nonzero((label == 255) & (raw != 0)))


def read_pc459(bench: Benchmark, src: str, ids: Optional[str] = None) -> Plan:
    """``VOCdevkit/VOC2010`` with PASCAL-Context ``trainval/*.mat``: the validation ``ids`` (default: the
    official 5,104), ``LabelMap - 1`` with 0 -> 65535 (uint16 TIFF)."""
    require(bench, src, 'JPEGImages', 'trainval')
    return Plan({'val': _id_entries(src, ids or PASCAL_CONTEXT_VAL_IDS, 'trainval', '.mat')}, _convert_pc459)


def _json_entries(src: str, path: str):
    data = json.loads(Path(path).read_text(encoding='utf-8'))
    try:
        images = {d['image_id']: d for d in data['images'] if d.get('phase') == 'val'}
        annotations = {k: [] for k in images}
        for ann in data['annos_segmentation']:
            if ann['image_id'] in annotations:
                annotations[ann['image_id']].append((int(ann['category_id']), ann['segmentation']))
    except (KeyError, TypeError) as e:
        raise ValueError(f'{path}: malformed Detail annotations, missing {e} (expected "images" with "phase" and '
                         '"annos_segmentation")')
    return [(osp.splitext(d['file_name'])[0], osp.join(src, 'JPEGImages', d['file_name']),
             ((int(d['height']), int(d['width'])), annotations[image_id]))
            for image_id, d in sorted(images.items(), key=lambda kv: kv[1]['file_name'])]


def read_pc59(bench: Benchmark, src: str, ids: Optional[str] = None) -> Plan:
    """``VOCdevkit/VOC2010``: the 59 frequent PASCAL-Context classes become 0..58, everything else 255.

    The official route, taken when ``trainval_merged.json`` is present and no ``ids`` are given: its
    ``phase == "val"`` images, their instance masks painted in order with their category id. Else (the
    JSON's public link is dead) ``LabelMap`` of ``trainval/*.mat`` of the ``ids`` (default: the same 5,104).
    """
    json_path = osp.join(src, 'trainval_merged.json')
    if ids or not osp.isfile(json_path):  # PC-459's images and .mat files, PC-59's labels
        return read_pc459(bench, src, ids)._replace(convert=_convert_pc59, notes=[
            'labels from trainval/*.mat (LabelMap restricted to the 59 classes); the official route '
            'reads trainval_merged.json, which was not used'])
    require(bench, src, 'JPEGImages')
    return Plan({'val': _json_entries(src, json_path)}, _convert_pc59,
                ['labels from trainval_merged.json, its "val" phase (the official route)'])


# ---------------------------------------------------------------------------- PASCAL VOC 2012 (20 classes)
_VOC_LUT = lookup_table({0: 255, **{k: k - 1 for k in range(1, 21)}, 255: 255}, 256, 255, np.uint8)


def read_voc20(bench: Benchmark, src: str) -> Plan:
    """``VOCdevkit/VOC2012``: the ids of ``ImageSets/Segmentation/val.txt``, labels of ``SegmentationClassAug/``
    (as the official README) or ``SegmentationClass/`` (identical on val); 0 (background) -> 255, k -> k - 1."""
    require(bench, src, 'JPEGImages', 'ImageSets/Segmentation/val.txt')
    label_dir = next((d for d in ('SegmentationClassAug', 'SegmentationClass') if osp.isdir(osp.join(src, d))), None)
    if label_dir is None:
        raise FileNotFoundError(f'voc20: --src {src!r} lacks SegmentationClassAug/ and SegmentationClass/ '
                                f'(expected {bench.raw_release})')
    entries = _id_entries(src, osp.join(src, 'ImageSets', 'Segmentation', 'val.txt'), label_dir, '.png')
    convert = functools.partial(_convert_png, lut=_VOC_LUT, allowed=np.array([*range(21), 255]),
                                expected='VOC labels 0..20 or 255')
    return Plan({'val': entries}, convert, [f'labels from {label_dir}/'])


# ---------------------------------------------------------------------------- COCO-Stuff-171
_COCO_LUT = lookup_table({raw: i for i, raw in enumerate(COCO_STUFF171_RAW_IDS)}, 256, 255, np.uint8)
_COCO_SPLITS = {'train': 'train2017', 'val': 'val2017'}


def _convert_coco_stuff171(path: str):
    raw = read_label_map(path)
    if raw.dtype != np.uint8:
        raise ValueError(f'{path}: malformed stuffthingmap, expected uint8 labels, got {raw.dtype}')
    label = _COCO_LUT[raw]
    return label, None, int(np.count_nonzero((label == 255) & (raw != 255)))


def read_coco_stuff171(bench: Benchmark, src: str, splits: Optional[Sequence[str]] = None) -> Plan:
    """``coco-stuff``: ``annotations/{train,val}2017/*.png`` (COCO id - 1, 255 unlabelled); the 171 ids in
    use become 0..170 in id order, anything else 255. ``splits``: train and/or val (default both)."""
    splits = list(splits or _COCO_SPLITS)
    for s in splits:
        if s not in _COCO_SPLITS:
            raise ValueError(f'coco_stuff171: unknown split {s!r}; expected train and/or val')
    require(bench, src, *(osp.join(d, _COCO_SPLITS[s]) for s in splits for d in ('images', 'annotations')))
    return Plan({s: _folder_entries(src, _COCO_SPLITS[s]) for s in splits}, _convert_coco_stuff171)


#: Benchmark name -> reader of its public release.
READERS: Dict[str, Callable[..., Plan]] = dict(
    ade847=read_ade847, pc459=read_pc459, ade150=read_ade150, pc59=read_pc59, voc20=read_voc20,
    coco_stuff171=read_coco_stuff171)
