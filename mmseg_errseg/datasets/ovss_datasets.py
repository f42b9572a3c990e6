"""COCO-Stuff-171 and the five OVSS benchmarks as registered MMSeg datasets.

The class names are the official ERR-Seg lists shipped in
``mmseg_errseg/class_names`` (they are the model's vocabulary); the label
maps are those of the official preparation (see ``errseg prepare``):

- ``COCOStuff171Dataset``: 171 classes, uint8 PNG 0..170, ignore 255.
- ``ADE20K150Dataset``: 150 classes, uint8 PNG 0..149, ignore 255.
- ``ADE20K847Dataset``: 847 classes, uint16 TIFF 0..846, ignore 65535.
- ``PascalContext59Dataset``: 59 classes, uint8 PNG 0..58, ignore 255 (background).
- ``PascalContext459Dataset``: 459 classes, uint16 TIFF 0..458, ignore 65535.
- ``PascalVOC20Dataset``: 20 classes, uint8 PNG 0..19, ignore 255 (background).

Load the 16-bit ones with :class:`LoadFullRangeAnnotations`.
"""
from mmseg.datasets import ADE20KDataset, COCOStuffDataset
from mmseg.registry import DATASETS

from ..vocabularies import load_vocabulary
from .prepared_dataset import PreparedSegDataset

__all__ = [
    'COCOStuff171Dataset', 'ADE20K150Dataset', 'ADE20K847Dataset', 'PascalContext59Dataset',
    'PascalContext459Dataset', 'PascalVOC20Dataset'
]


def _meta(name: str, palette=None) -> dict:
    classes = tuple(load_vocabulary(name))
    meta = dict(classes=classes)
    if palette is not None:
        if len(palette) != len(classes):
            raise ValueError(f'{name}: palette has {len(palette)} colours for {len(classes)} classes')
        meta['palette'] = [list(c) for c in palette]
    return meta  # no palette: BaseSegDataset draws a fixed (seeded) one


@DATASETS.register_module()
class COCOStuff171Dataset(PreparedSegDataset):
    """COCO-Stuff (164k images, 171 classes), the training set. MMSeg's palette."""
    BENCHMARK = 'coco_stuff171'
    METAINFO = _meta('coco_stuff171', COCOStuffDataset.METAINFO['palette'])


@DATASETS.register_module()
class ADE20K150Dataset(PreparedSegDataset):
    """ADE20K-150 validation (2,000 images). MMSeg's palette.

    The labels are MMSeg's ``ADE20KDataset`` labels with ``reduce_zero_label``
    applied beforehand, and the class names are the same.
    """
    BENCHMARK = 'ade150'
    METAINFO = _meta('ade150', ADE20KDataset.METAINFO['palette'])


@DATASETS.register_module()
class ADE20K847Dataset(PreparedSegDataset):
    """ADE20K-847: the full ADE20K validation set (2,000 images), 847 classes, 16-bit labels."""
    BENCHMARK = 'ade847'
    METAINFO = _meta('ade847')


@DATASETS.register_module()
class PascalContext59Dataset(PreparedSegDataset):
    """PASCAL-Context-59 validation; background is ignored."""
    BENCHMARK = 'pc59'
    METAINFO = _meta('pc59')


@DATASETS.register_module()
class PascalContext459Dataset(PreparedSegDataset):
    """PASCAL-Context-459: the 5,104 validation images, all 459 classes, 16-bit labels."""
    BENCHMARK = 'pc459'
    METAINFO = _meta('pc459')


@DATASETS.register_module()
class PascalVOC20Dataset(PreparedSegDataset):
    """PASCAL VOC 2012 validation (1,449 images), 20 classes; background is ignored."""
    BENCHMARK = 'voc20'
    METAINFO = _meta('voc20')
