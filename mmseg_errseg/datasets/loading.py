"""Loading label maps without losing label ids above 255 (A-847, PC-459)."""
import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

__all__ = ['LoadFullRangeAnnotations', 'read_label_map']


def read_label_map(path: str, backend_args=None, imdecode_backend: str = 'pillow') -> np.ndarray:
    """A (H, W) label map in its file's own integer dtype (uint8 PNG or uint16 TIFF)."""
    label = mmcv.imfrombytes(fileio.get(path, backend_args=backend_args), flag='unchanged',
                             backend=imdecode_backend)
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

    ``LoadAnnotations`` casts to uint8, which wraps the ids of 16-bit label maps
    (A-847 has 847 classes, PC-459 459, and 255 is a class there). This keeps
    the stored dtype; ``reduce_zero_label`` and the dataset's ``label_map`` are
    applied as ``LoadAnnotations`` does, with ``ignore_index`` for the zero label.
    """

    def __init__(self, ignore_index: int = 65535, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        if 'seg_map_path' not in results:  # inference (mmseg.apis strips only LoadAnnotations): no labels
            return results
        return super().transform(results)

    def _load_seg_map(self, results: dict) -> None:
        label = read_label_map(results['seg_map_path'], self.backend_args, self.imdecode_backend)
        reduce_zero_label = self.reduce_zero_label
        if reduce_zero_label is None:
            reduce_zero_label = results.get('reduce_zero_label', False)
        if reduce_zero_label:
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
