"""Tiny synthetic datasets in the exact prepared layout of each benchmark, for tests and smoke runs.

``make_dataset('ade847', root)`` writes what ``errseg prepare ade847 --dst root`` writes (16-bit TIFF labels
with ids above 255), deterministically for a seed: a few classes per image as flat regions of a colour
fixed by the class (so a model can learn them), and a band of ignored pixels.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .benchmarks import BENCHMARKS, get_benchmark

__all__ = ['make_dataset']


def _label_map(rng: np.random.Generator, hw: Tuple[int, int], num_classes: int, ignore_index: int) -> np.ndarray:
    h, w = hw
    k = int(rng.integers(2, 6))  # 2 to 5 classes
    classes = rng.choice(num_classes, size=k, replace=False)
    if num_classes > 256:  # 16-bit labels: always class 255 (valid there) and an id above it
        classes[-2:] = 255, rng.integers(256, num_classes)
    label = np.empty((h, w), dtype=np.uint16 if ignore_index > 255 else np.uint8)
    edges = np.linspace(0, w, k + 1).astype(int)
    for c, x0, x1 in zip(classes, edges[:-1], edges[1:]):
        label[:, x0:x1] = c
    y0, x0 = int(rng.integers(0, h // 2)), int(rng.integers(0, w // 2))  # an overlapping rectangle
    label[y0:y0 + h // 3, x0:x0 + w // 3] = classes[0]
    label[h - max(1, h // 8):, :] = ignore_index  # a band of ignored pixels
    return label


def _image(rng: np.random.Generator, label: np.ndarray, ignore_index: int) -> np.ndarray:
    img = np.zeros(label.shape + (3,), dtype=np.int16)
    for c in np.unique(label[label != ignore_index]):  # a fixed colour per class id; ignored pixels stay black
        img[label == c] = np.random.default_rng(int(c) + 7919).integers(30, 226, size=3)
    img += rng.integers(-12, 13, size=img.shape, dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_dataset(name: str, root: str, num_images: int = 4, size: Tuple[int, int] = (64, 80), seed: int = 0,
                 splits: Optional[Sequence[str]] = None) -> Dict[str, List[Tuple[str, str]]]:
    """Write ``num_images`` per split (default: all) of a benchmark into the data root ``root``, the first of
    (H, W) ``size``, with 2 to 5 classes each; returns per split the (image, label map) paths."""
    bench = get_benchmark(name)
    if num_images < 1 or min(size) < 16:
        raise ValueError(f'need num_images >= 1 and size >= 16 pixels, got {num_images} and {size}')
    rng = np.random.default_rng([seed, list(BENCHMARKS).index(bench.name)])
    written = {}
    for split in splits or list(bench.splits):
        s = bench.split(split)
        img_dir, seg_dir = osp.join(root, s.img_dir), osp.join(root, s.seg_dir)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(seg_dir, exist_ok=True)
        pairs = []
        for i in range(num_images):
            hw = (size[0] + 8 * (i % 3), size[1] - 8 * (i % 2))
            label = _label_map(rng, hw, bench.num_classes, bench.ignore_index)
            stem = f'{bench.name}_{split}_{i:06d}'
            img_path = osp.join(img_dir, stem + '.jpg')
            seg_path = osp.join(seg_dir, stem + bench.seg_map_suffix)
            Image.fromarray(_image(rng, label, bench.ignore_index)).save(img_path, quality=95)
            Image.fromarray(label).save(seg_path, format='TIFF' if bench.label_bits == 16 else 'PNG')
            pairs.append((img_path, seg_path))
        written[split] = pairs
    return written
