"""The evaluation pipeline's transforms (README, "Datasets and open-vocabulary evaluation"): label maps
at full range (MMSeg's ``LoadAnnotations`` casts them to uint8) and the official test-time resize (Pillow,
detectron2's size: MMSeg's cv2 ``ResizeShortestEdge`` gives other pixels, and 576x1332 for 576x1333).
"""
from typing import Tuple

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS
from PIL import Image

__all__ = ['LoadFullRangeAnnotations', 'read_label_map', 'PillowResizeShortestEdge', 'shortest_edge_size']


def read_label_map(path: str, backend_args=None, imdecode_backend: str = 'pillow') -> np.ndarray:
    """A (H, W) label map in its file's own integer dtype (uint8 PNG or uint16 TIFF)."""
    label = mmcv.imfrombytes(fileio.get(path, backend_args=backend_args), flag='unchanged', backend=imdecode_backend)
    if label is None:
        raise ValueError(f'{path}: not a readable image')
    if label.ndim == 3 and label.shape[2] == 1:
        label = label[..., 0]
    if label.ndim != 2 or not np.issubdtype(label.dtype, np.integer):
        raise ValueError(f'{path}: expected a single-channel integer label map, got shape '
                         f'{label.shape} and dtype {label.dtype}')
    return label


@TRANSFORMS.register_module()
class LoadFullRangeAnnotations(LoadAnnotations):
    """MMSeg's ``LoadAnnotations`` that keeps the label map's dtype.

    ``reduce_zero_label`` and the dataset's ``label_map`` apply as in ``LoadAnnotations``, with
    ``ignore_index`` for the zero label.
    """

    def __init__(self, ignore_index: int = 65535, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        # no labels at inference (mmseg.apis strips only LoadAnnotations)
        return super().transform(results) if 'seg_map_path' in results else results

    def _load_seg_map(self, results: dict) -> None:
        label = read_label_map(results['seg_map_path'], self.backend_args, self.imdecode_backend)
        if self.reduce_zero_label or (self.reduce_zero_label is None and results.get('reduce_zero_label')):
            label = label.astype(np.int64)
            label = np.where(label == 0, self.ignore_index, label - 1)
            label[label == self.ignore_index - 1] = self.ignore_index
        label_map = results.get('label_map')
        if label_map:
            lut = np.arange(max(int(label.max()), max(label_map)) + 1, dtype=np.int64)
            lut[list(label_map.keys())] = list(label_map.values())
            label = lut[label]
        results['gt_seg_map'] = label
        results['seg_fields'].append('gt_seg_map')


def shortest_edge_size(h: int, w: int, short_edge: int, max_size: int) -> Tuple[int, int]:
    """detectron2's ``ResizeShortestEdge.get_output_shape``: the new (H, W), short side ``short_edge`` unless
    the long side would exceed ``max_size`` (then that is ``max_size``), both rounded half up."""
    size = float(short_edge)
    scale = size / min(h, w)
    newh, neww = (size, scale * w) if h < w else (scale * h, size)
    if max(newh, neww) > max_size:
        scale = max_size / max(newh, neww)
        newh, neww = newh * scale, neww * scale
    return int(newh + 0.5), int(neww + 0.5)


@TRANSFORMS.register_module()
class PillowResizeShortestEdge(BaseTransform):
    """Resize the short side to ``scale`` (long side at most ``max_size``) as detectron2 does.

    The image with ``PIL.Image.resize`` (detectron2's ``ResizeTransform`` for uint8 images), label maps
    in ``seg_fields`` with nearest neighbour (``apply_segmentation``). Required keys: ``img`` (uint8).
    Modified: ``img``, ``img_shape``, the ``seg_fields``. Added: ``scale``, ``scale_factor``, ``keep_ratio``.

    Args:
        scale: Target length of the short side (detectron2's ``MIN_SIZE_TEST``).
        max_size: Longest allowed side (``MAX_SIZE_TEST``).
        interpolation: ``'bilinear'`` (detectron2's default) or ``'nearest'``.
    """

    _RESAMPLE = {'bilinear': Image.BILINEAR, 'nearest': Image.NEAREST}

    def __init__(self, scale: int = 800, max_size: int = 1333, interpolation: str = 'bilinear') -> None:
        super().__init__()
        if interpolation not in self._RESAMPLE:
            raise ValueError(f'interpolation must be one of {sorted(self._RESAMPLE)}, got {interpolation!r}')
        self.scale, self.max_size, self.interpolation = int(scale), int(max_size), interpolation
        if self.scale < 1 or self.max_size < self.scale:
            raise ValueError(f'need 1 <= scale <= max_size, got scale={scale}, max_size={max_size}')

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8:
            raise TypeError(f'PillowResizeShortestEdge resizes uint8 images (as detectron2 does with Pillow), '
                            f'got {img.dtype}: load the image with LoadImageFromFile(to_float32=False)')
        h, w = img.shape[:2]
        newh, neww = shortest_edge_size(h, w, self.scale, self.max_size)
        results['img'] = np.array(Image.fromarray(img).resize((neww, newh), self._RESAMPLE[self.interpolation]))
        for key in results.get('seg_fields', []):
            results[key] = np.array(Image.fromarray(results[key]).resize((neww, newh), Image.NEAREST))
        results.update(img_shape=(newh, neww), scale=(neww, newh), scale_factor=(neww / w, newh / h), keep_ratio=True)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, max_size={self.max_size}, '
                f"interpolation='{self.interpolation}')")
