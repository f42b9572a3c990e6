"""COCO-Stuff-171 and the five OVSS benchmarks as registered MMSeg datasets.

The class names are the official ERR-Seg lists (the model's vocabulary); the label maps are those of the
official preparation (``errseg prepare``): uint8 PNG with ignore 255, or for A-847 and PC-459 uint16 TIFF
with ignore 65535 (load those with :class:`LoadFullRangeAnnotations`).
"""
from mmseg.datasets import ADE20KDataset, COCOStuffDataset
from mmseg.registry import DATASETS

from ..vocabularies import load_vocabulary
from .prepared_dataset import PreparedSegDataset

__all__ = [
    'COCOStuff171Dataset', 'ADE20K150Dataset', 'ADE20K847Dataset', 'PascalContext59Dataset',
    'PascalContext459Dataset', 'PascalVOC20Dataset'
]


def _dataset(class_name: str, benchmark: str, doc: str, palette=None) -> type:
    """Register a :class:`PreparedSegDataset` of ``benchmark``; no palette: MMSeg draws a seeded one."""
    meta = dict(classes=tuple(load_vocabulary(benchmark)))
    if palette is not None:
        if len(palette) != len(meta['classes']):
            raise ValueError(f'{benchmark}: palette has {len(palette)} colours for {len(meta["classes"])} classes')
        meta['palette'] = [list(c) for c in palette]
    cls = type(class_name, (PreparedSegDataset,), dict(BENCHMARK=benchmark, METAINFO=meta, __doc__=doc,
                                                       __module__=__name__))
    return DATASETS.register_module(module=cls)


COCOStuff171Dataset = _dataset('COCOStuff171Dataset', 'coco_stuff171', 'COCO-Stuff-171, the training set.',
                               COCOStuffDataset.METAINFO['palette'])
ADE20K150Dataset = _dataset('ADE20K150Dataset', 'ade150', "A-150: MMSeg's ADE20K labels, zero label reduced.",
                            ADE20KDataset.METAINFO['palette'])
ADE20K847Dataset = _dataset('ADE20K847Dataset', 'ade847', 'A-847: the full ADE20K validation set, 16-bit labels.')
PascalContext59Dataset = _dataset('PascalContext59Dataset', 'pc59', 'PC-59 validation; background ignored.')
PascalContext459Dataset = _dataset('PascalContext459Dataset', 'pc459', 'PC-459 validation, 16-bit labels.')
PascalVOC20Dataset = _dataset('PascalVOC20Dataset', 'voc20', 'PAS-20: VOC 2012 validation; background ignored.')
