"""COCO-Stuff-171 and the five OVSS benchmarks as MMSeg datasets in the prepared (official) layout.

The class names are the official ERR-Seg lists (the model's vocabulary); the label maps those of
``errseg prepare``: uint8 PNG with ignore 255, or for A-847 and PC-459 uint16 TIFF with ignore 65535
(read with :class:`LoadFullRangeAnnotations`). Also: checking a data root before a long run starts.
"""
import os
import os.path as osp
from typing import ClassVar, List, Optional, Union

import mmengine.fileio as fileio
from mmseg.datasets import ADE20KDataset, BaseSegDataset, COCOStuffDataset
from mmseg.registry import DATASETS

from .benchmarks import Benchmark, get_benchmark

__all__ = ['PreparedSegDataset', 'load_dataset_index', 'load_split', 'COCOStuff171Dataset', 'ADE20K150Dataset',
           'ADE20K847Dataset', 'PascalContext59Dataset', 'PascalContext459Dataset', 'PascalVOC20Dataset']


class PreparedSegDataset(BaseSegDataset):
    """A split is the set of its label maps; each needs its image.

    As detectron2's ``load_sem_seg`` in the official code, the split is read from the label-map folder, so
    an image folder shared by several splits (VOC's ``JPEGImages``) needs no split file (with ``ann_file``,
    MMSeg's behaviour applies). Subclasses set ``BENCHMARK`` (suffixes, ignore index).
    """
    BENCHMARK: ClassVar[str] = ''

    def __init__(self, **kwargs) -> None:
        bench = get_benchmark(self.BENCHMARK)
        super().__init__(**{'img_suffix': '.jpg', 'seg_map_suffix': bench.seg_map_suffix,
                            'ignore_index': bench.ignore_index, 'reduce_zero_label': False, **kwargs})

    def _prepare_hint(self) -> str:
        return (f'prepare it with `errseg prepare {self.BENCHMARK} --src RAW --dst DATA_ROOT` '
                f'(RAW: {get_benchmark(self.BENCHMARK).raw_release}) and pass DATA_ROOT as the data root')

    def _root_hint(self, seg_dir: str) -> str:
        """A data root one level too deep (``data/ADE20K_2021_17_01`` for ``data``) is the common mistake."""
        root = osp.normpath(self.data_root or '')
        top = osp.relpath(seg_dir, root).split(os.sep)[0] if self.data_root else ''
        if top and osp.basename(root) == top:
            return (f'the data root must be the folder that contains {top}/ '
                    f'({osp.dirname(root) or "."!r}), not {top}/ itself; otherwise ')
        return ''

    def load_data_list(self) -> List[dict]:
        if self.ann_file:
            return super().load_data_list()
        name = type(self).__name__
        img_dir = self.data_prefix.get('img_path') or ''
        seg_dir = self.data_prefix.get('seg_map_path') or ''
        if not fileio.isdir(seg_dir, backend_args=self.backend_args):
            raise FileNotFoundError(f'{name}: label-map folder {seg_dir!r} does not exist; '
                                    f'{self._root_hint(seg_dir)}{self._prepare_hint()}')
        n = len(self.seg_map_suffix)
        stems = sorted(p[:-n] for p in fileio.list_dir_or_file(
            seg_dir, list_dir=False, suffix=self.seg_map_suffix, recursive=True, backend_args=self.backend_args))
        if not stems:
            raise FileNotFoundError(f'{name}: no *{self.seg_map_suffix} label maps in {seg_dir!r}; '
                                    f'{self._prepare_hint()}')
        data_list = [dict(img_path=osp.join(img_dir, stem + self.img_suffix),
                          seg_map_path=osp.join(seg_dir, stem + self.seg_map_suffix), label_map=self.label_map,
                          reduce_zero_label=self.reduce_zero_label, seg_fields=[]) for stem in stems]
        missing = [d['img_path'] for d in data_list if not fileio.exists(d['img_path'], backend_args=self.backend_args)]
        if missing:
            raise FileNotFoundError(
                f'{name}: {len(missing)} of {len(data_list)} label maps in {seg_dir!r} have no image in '
                f'{img_dir!r} (e.g. {", ".join(missing[:3])}); {self._prepare_hint()}')
        return data_list


def _dataset(benchmark: str, doc: str, palette_of: Optional[type] = None) -> type:
    """Register the :class:`PreparedSegDataset` of ``benchmark`` (named its ``dataset_type``), with the palette
    of the MMSeg dataset ``palette_of`` (none: MMSeg draws a seeded one)."""
    bench = get_benchmark(benchmark)
    meta = dict(classes=bench.classes())
    if palette_of is not None:
        meta['palette'] = [list(c) for c in palette_of.METAINFO['palette']]
    cls = type(bench.dataset_type, (PreparedSegDataset,),
               dict(BENCHMARK=benchmark, METAINFO=meta, __doc__=doc, __module__=__name__))
    return DATASETS.register_module(module=cls)


COCOStuff171Dataset = _dataset('coco_stuff171', 'COCO-Stuff-171, the training set.', COCOStuffDataset)
ADE20K150Dataset = _dataset('ade150', "A-150: MMSeg's ADE20K labels, zero label reduced.", ADE20KDataset)
ADE20K847Dataset = _dataset('ade847', 'A-847: the full ADE20K validation set, 16-bit labels.')
PascalContext59Dataset = _dataset('pc59', 'PC-59 validation; background ignored.')
PascalContext459Dataset = _dataset('pc459', 'PC-459 validation, 16-bit labels.')
PascalVOC20Dataset = _dataset('voc20', 'PAS-20: VOC 2012 validation; background ignored.')


def load_dataset_index(dataset_cfg: dict, name: str = '') -> PreparedSegDataset:
    """The dataset of an MMSeg dataset config, without its pipeline (``.data_list``: label maps and images).

    Raises:
        FileNotFoundError: Naming what is missing and how to prepare benchmark ``name``.
    """
    cfg = dict(dataset_cfg, pipeline=[], serialize_data=False)  # keep .data_list readable
    data_root = cfg.get('data_root')
    if data_root and not osp.isdir(data_root):
        hint = f'errseg prepare {name} --src RAW --dst {data_root}' if name else 'errseg prepare'
        raise FileNotFoundError(f'data root {data_root!r} does not exist; prepare the dataset into it with `{hint}`')
    return DATASETS.get(cfg.pop('type'))(**cfg)  # built directly: registry builds would re-wrap our message


def load_split(benchmark: Union[str, Benchmark], data_root: str, split: str = 'val') -> PreparedSegDataset:
    """The dataset, without pipeline, of a prepared split of a benchmark (see :func:`load_dataset_index`)."""
    bench = get_benchmark(benchmark) if isinstance(benchmark, str) else benchmark
    return load_dataset_index(bench.dataset_cfg(data_root, split), bench.name)
