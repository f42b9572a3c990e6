"""Inference outputs on disk: label maps (PNG) and per-class area tables (CSV), written atomically."""
from typing import Sequence

import cv2
import numpy as np
import pandas as pd

from ..utils import write_bytes, write_text

__all__ = ['AREA_COLUMNS', 'encode_png', 'label_map_dtype', 'write_label_map',
           'area_table', 'write_area_table', 'write_rgb_png']

#: Columns of the per-class area table.
AREA_COLUMNS = ('class_index', 'class_name', 'pixels', 'fraction')


def encode_png(array: np.ndarray) -> bytes:
    """PNG bytes of a (H, W) or BGR (H, W, 3) uint8/uint16 array."""
    ok, buf = cv2.imencode('.png', array)
    if not ok:
        raise ValueError(f'cannot encode an array of shape {array.shape} and dtype {array.dtype} as PNG')
    return buf.tobytes()


def label_map_dtype(num_classes: int) -> np.dtype:
    """uint8 when every index fits (T <= 256), else uint16 (T <= 65536)."""
    if num_classes <= 256:
        return np.dtype(np.uint8)
    if num_classes <= 65536:
        return np.dtype(np.uint16)
    raise ValueError(f'a PNG label map holds at most 65536 classes, the vocabulary has {num_classes}')


def write_label_map(path: str, labels: np.ndarray, num_classes: int) -> None:
    """Save a (H, W) label map of vocabulary indices as a PNG of 8 or 16 bits (:func:`label_map_dtype`)."""
    write_bytes(path, encode_png(labels.astype(label_map_dtype(num_classes))))


def write_rgb_png(path: str, image: np.ndarray) -> None:
    """Save a (H, W, 3) uint8 RGB image as PNG."""
    write_bytes(path, encode_png(np.ascontiguousarray(image[..., ::-1])))


def area_table(counts: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """:data:`AREA_COLUMNS` of every vocabulary class (absent ones: 0 pixels) from its (T,) pixel counts."""
    counts = np.asarray(counts, dtype=np.int64)
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({'class_index': np.arange(len(names)), 'class_name': list(names),
                         'pixels': counts, 'fraction': counts / total}, columns=list(AREA_COLUMNS))


def write_area_table(path: str, table: pd.DataFrame) -> None:
    """Save an :func:`area_table` as CSV."""
    write_text(path, table.to_csv(index=False, float_format='%.6f'))
