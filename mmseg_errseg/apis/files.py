"""Inference files: input images (folders expanded, decoded with clear errors) and the outputs,
label maps (PNG) and per-class area tables (CSV), written atomically."""
import os
from pathlib import Path
from typing import Iterable, List, Sequence, Union

import cv2
import mmcv
import numpy as np
import pandas as pd

from ..utils import write_bytes, write_text

__all__ = ['IMAGE_SUFFIXES', 'check_unique_names', 'collect_images', 'read_image', 'label_map_dtype',
           'write_label_map', 'area_table', 'write_area_table', 'write_png']

#: File suffixes taken from a folder (case-insensitive); files named explicitly may have any suffix.
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def collect_images(paths: Iterable[Union[str, Path]]) -> List[str]:
    """Image files named by ``paths``: files as given, folders expanded (not recursively, sorted by name).
    ``FileNotFoundError`` for a path that does not exist, ``ValueError`` for no paths or a folder without images."""
    images = []
    for path in map(str, paths):
        if os.path.isdir(path):
            found = sorted(e.path for e in os.scandir(path)
                           if e.is_file() and os.path.splitext(e.name)[1].lower() in IMAGE_SUFFIXES)
            if not found:
                raise ValueError(f'{path}: the folder holds no image (looked for {", ".join(IMAGE_SUFFIXES)})')
            images.extend(found)
        elif os.path.isfile(path):
            images.append(path)
        else:
            raise FileNotFoundError(f'{path}: no such image file or folder')
    if not images:
        raise ValueError('no input images given')
    return images


def check_unique_names(names: Sequence[str], sources: Sequence[str]) -> None:
    """Raise ``ValueError`` when two inputs (``sources``, their paths) would write under the same name."""
    owner = {}
    for name, source in zip(names, sources):
        if name in owner:
            raise ValueError(f'{owner[name]} and {source} would both write outputs named {name!r}: '
                             'rename one, or segment them into different output folders')
        owner[name] = source


def read_image(path: str) -> np.ndarray:
    """Decode an image file as MMSeg's ``LoadImageFromFile`` does (3 channels, BGR, uint8); ``FileNotFoundError``
    for no such file, ``ValueError`` for one that is not a decodable image."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: no such image file') from None
    except OSError as e:
        raise ValueError(f'{path}: cannot be read ({e.strerror or e})') from None
    image = mmcv.imfrombytes(data, flag='color') if data else None
    if image is None:
        raise ValueError(f'{path}: cannot be decoded as an image (empty, corrupt or not an image file)')
    return image


def write_png(path: str, array: np.ndarray) -> None:
    """Save a (H, W) uint8/uint16 or RGB (H, W, 3) uint8 array as PNG."""
    ok, buf = cv2.imencode('.png', np.ascontiguousarray(array[..., ::-1]) if array.ndim == 3 else array)
    if not ok:
        raise ValueError(f'cannot encode an array of shape {array.shape} and dtype {array.dtype} as PNG')
    write_bytes(path, buf.tobytes())


def label_map_dtype(num_classes: int) -> np.dtype:
    """uint8 when every index fits (T <= 256), else uint16 (T <= 65536)."""
    if num_classes <= 256:
        return np.dtype(np.uint8)
    if num_classes <= 65536:
        return np.dtype(np.uint16)
    raise ValueError(f'a PNG label map holds at most 65536 classes, the vocabulary has {num_classes}')


def write_label_map(path: str, labels: np.ndarray, num_classes: int) -> None:
    """Save a (H, W) label map of vocabulary indices as a PNG of 8 or 16 bits (:func:`label_map_dtype`)."""
    write_png(path, labels.astype(label_map_dtype(num_classes)))


def area_table(counts: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """``class_index, class_name, pixels, fraction`` of every vocabulary class (absent ones: 0 pixels) from its
    (T,) pixel counts."""
    counts = np.asarray(counts, dtype=np.int64)
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({'class_index': np.arange(len(names)), 'class_name': list(names),
                         'pixels': counts, 'fraction': counts / total})


def write_area_table(path: str, table: pd.DataFrame) -> None:
    """Save an :func:`area_table` as CSV."""
    write_text(path, table.to_csv(index=False, float_format='%.6f'))
