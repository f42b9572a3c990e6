"""Base class of the datasets in the prepared (official ERR-Seg) layout."""
import os
import os.path as osp
from typing import ClassVar, List

import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset

from .benchmarks import get_benchmark

__all__ = ['PreparedSegDataset']

_SHOW_MISSING = 3


class PreparedSegDataset(BaseSegDataset):
    """A split is the set of its label maps; each needs its image.

    As detectron2's ``load_sem_seg`` in the official code, the split is read
    from the label-map folder (``data_prefix.seg_map_path``), so an image folder
    shared by several splits (VOC's ``JPEGImages``) needs no split file. With
    ``ann_file``, MMSeg's behaviour applies. A missing folder, an empty one or
    label maps without images give one error that names what is missing and
    how to prepare the data.

    Subclasses set ``BENCHMARK`` (a name of :data:`BENCHMARKS`), which gives the
    class names, the suffixes and the ignore index.
    """
    BENCHMARK: ClassVar[str] = ''

    def __init__(self, **kwargs) -> None:
        bench = get_benchmark(self.BENCHMARK)
        kwargs.setdefault('img_suffix', bench.img_suffix)
        kwargs.setdefault('seg_map_suffix', bench.seg_map_suffix)
        kwargs.setdefault('ignore_index', bench.ignore_index)
        kwargs.setdefault('reduce_zero_label', False)
        super().__init__(**kwargs)

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
        data_list = [
            dict(img_path=osp.join(img_dir, stem + self.img_suffix),
                 seg_map_path=osp.join(seg_dir, stem + self.seg_map_suffix),
                 label_map=self.label_map, reduce_zero_label=self.reduce_zero_label, seg_fields=[])
            for stem in stems
        ]
        missing = [d['img_path'] for d in data_list
                   if not fileio.exists(d['img_path'], backend_args=self.backend_args)]
        if missing:
            raise FileNotFoundError(
                f'{name}: {len(missing)} of {len(data_list)} label maps in {seg_dir!r} have no image in '
                f'{img_dir!r} (e.g. {", ".join(missing[:_SHOW_MISSING])}); {self._prepare_hint()}')
        return data_list
