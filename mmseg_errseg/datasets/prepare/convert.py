"""The one split converter every release goes through: checks, atomic writes, image placement, reports."""
import inspect
import os
import os.path as osp
import shutil
from collections import namedtuple
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image, UnidentifiedImageError

from ...utils import atomic_path
from ..benchmarks import Benchmark, get_benchmark
from ..transforms import read_label_map
from .releases import READERS, Plan

__all__ = ['prepare', 'convert_split', 'PrepareReport', 'SplitReport', 'LINK_MODES']

#: How images reach the prepared layout when it is not the raw folder itself.
LINK_MODES = ('symlink', 'hardlink', 'copy')


#: One image of a split: its raw image, its prepared image and label map, its converter input.
Item = namedtuple('Item', 'stem src_image dst_image dst_label source')


@dataclass
class SplitReport:
    """What the conversion of one split did and found."""
    split: str
    images: int
    written: int
    kept: int
    label_min: Optional[int]
    label_max: Optional[int]
    classes_present: int
    unmapped_pixels: int
    official_count: Optional[int]
    img_dir: str
    seg_dir: str

    def lines(self) -> List[str]:
        count = f'{self.images} images'
        if self.official_count is not None and self.official_count != self.images:
            count += f' (the full public release has {self.official_count})'
        return [f'{self.split}: {count}; {self.written} label maps written, {self.kept} already prepared (checked)',
                f'  labels {self.label_min}..{self.label_max}, {self.classes_present} classes present'
                + (f'; {self.unmapped_pixels} labelled pixels of classes outside the benchmark set to ignore '
                   '(in the maps written now)' if self.unmapped_pixels else ''),
                f'  images: {self.img_dir}', f'  labels: {self.seg_dir}']


@dataclass
class PrepareReport:
    """The result of ``errseg prepare``."""
    name: str
    data_root: str
    splits: List[SplitReport]
    notes: List[str]

    def lines(self) -> List[str]:
        return ([f'{self.name}: prepared under {self.data_root}'] + [f'note: {n}' for n in self.notes]
                + [line for s in self.splits for line in s.lines()])


def prepare(name: str, src: str, dst: str, link: Optional[str] = None, overwrite: bool = False, nproc: int = 1,
            **options: Any) -> PrepareReport:
    """Convert the raw release ``src`` (``Benchmark.raw_release``; may lie inside ``dst``) of benchmark ``name``
    into the prepared layout under the data root ``dst``.

    Outputs that exist are checked, not rewritten, unless ``overwrite``; unchanged images are placed by
    ``link`` (:data:`LINK_MODES`, default symlink); ``nproc`` worker processes. ``options`` are the reader's
    own (``splits``, ``ids``): ``None`` is ignored, one the reader does not take is an error.
    """
    bench = get_benchmark(name)
    read = READERS[bench.name]
    accepted = [k for k in inspect.signature(read).parameters if k not in ('bench', 'src')] + ['nproc', 'overwrite']
    accepted += [] if bench.name == 'ade847' else ['link']  # A-847 re-saves every image
    unknown = [k for k, v in dict(options, link=link).items() if v is not None and k not in accepted]
    if unknown:
        raise ValueError(f'{bench.name}: option(s) {", ".join("--" + k for k in unknown)} do not apply; '
                         f'it takes {", ".join("--" + k for k in accepted)}')
    if not osp.isdir(src):
        raise FileNotFoundError(f'{bench.name}: --src {src!r} does not exist (expected {bench.raw_release})')
    plan: Plan = read(bench, src, **{k: v for k, v in options.items() if v is not None})
    splits = [convert_split(bench, split, entries, plan.convert, dst, link=link or 'symlink', overwrite=overwrite,
                            nproc=nproc) for split, entries in plan.splits.items()]
    return PrepareReport(bench.name, dst, splits, list(plan.notes))


def _paths(source: Any) -> List[str]:
    """The files a converter input names: a path, or the paths in a tuple (anything else is data)."""
    return [s for s in (source if isinstance(source, tuple) else (source, )) if isinstance(s, str)]


def _save(array: np.ndarray, path: str, fmt: str) -> None:
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format=fmt)


def place_file(src: str, dst: str, mode: str, overwrite: bool = False) -> None:
    """Make ``dst`` the file ``src`` (symlink, hard link or copy); nothing when it already is, or exists and
    ``overwrite`` is off."""
    if osp.abspath(src) == osp.abspath(dst) or osp.exists(dst) and (not overwrite or osp.samefile(src, dst)):
        return
    if mode == 'copy':
        with atomic_path(dst) as tmp:
            shutil.copyfile(src, tmp)
        return
    if osp.lexists(dst):  # a link is never partial: dst is then absent (rewritten on resume) or complete
        os.remove(dst)
    if mode == 'symlink':
        os.symlink(osp.abspath(src), dst)
    else:
        os.link(src, dst)


def _check_prepared(item: Item, label: np.ndarray) -> None:
    """An existing output is kept only if it is what the conversion gives (the label bit for bit)."""
    try:
        existing = read_label_map(item.dst_label)
        with Image.open(item.dst_image) as im:
            image_size = im.size
    except (OSError, ValueError, SyntaxError) as e:
        raise ValueError(f'{item.dst_label} (or its image): an existing output cannot be read ({e}); rerun '
                         'with --overwrite') from e
    if not np.array_equal(existing, label):
        raise ValueError(f'{item.dst_label} exists but differs from the conversion of {item.stem}: rerun with '
                         '--overwrite')
    if image_size != label.shape[::-1]:
        raise ValueError(f'{item.dst_image} is {image_size[0]}x{image_size[1]}, its label map '
                         f'{label.shape[1]}x{label.shape[0]}: rerun with --overwrite')


def _process(args) -> Tuple[np.ndarray, bool, int]:
    item, convert, bench, link, overwrite = args
    try:
        label, image, unmapped = convert(item.source)
    except (OSError, ValueError, SyntaxError) as e:  # PIL names a BytesIO, not the file
        source = item.source if isinstance(item.source, str) else item.src_image
        if str(source) in str(e):
            raise
        reason = 'not a readable image' if isinstance(e, UnidentifiedImageError) else f'{type(e).__name__}: {e}'
        raise ValueError(f'{source}: cannot be converted ({reason})') from e
    written = overwrite or not osp.exists(item.dst_label) or not osp.exists(item.dst_image)
    if written:
        if image is not None:
            _save(image, item.dst_image, 'JPEG')
        else:
            place_file(item.src_image, item.dst_image, link, overwrite)
        _save(label, item.dst_label, 'TIFF' if bench.label_bits == 16 else 'PNG')
    else:  # prepared before: checked against the conversion, not rewritten
        _check_prepared(item, label)
    values = np.unique(label)
    return values[values != bench.ignore_index], written, unmapped


def convert_split(bench: Benchmark, split: str, entries: List[Tuple[str, str, Any]], convert, data_root: str, *,
                  link: str = 'symlink', overwrite: bool = False, nproc: int = 1) -> SplitReport:
    """Convert the ``(stem, raw image, converter input)`` entries of one split with a progress bar, once every
    raw file they read is known to exist (``convert`` runs in worker processes); report what was done."""
    if link not in LINK_MODES:
        raise ValueError(f'link mode {link!r}: expected one of {LINK_MODES}')
    if not entries:
        raise FileNotFoundError(f'{bench.name}: no {split} images found')
    s = bench.split(split)
    items = [Item(stem, image, osp.join(data_root, s.img_dir, stem + '.jpg'),
                  osp.join(data_root, s.seg_dir, stem + bench.seg_map_suffix), source)
             for stem, image, source in entries]
    raw = list(dict.fromkeys(p for i in items for p in (i.src_image, *_paths(i.source))))
    missing = [p for p in raw if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(f'{bench.name}: {len(missing)} of {len(raw)} raw files of the {split} split are '
                                f'missing, e.g. {", ".join(missing[:3])}')
    for folder in {osp.dirname(i.dst_image) for i in items} | {osp.dirname(i.dst_label) for i in items}:
        os.makedirs(folder, exist_ok=True)
    tasks = [(item, convert, bench, link, overwrite) for item in items]
    print(f'{bench.name} {split}: {len(items)} images')
    try:
        results = (track_parallel_progress(_process, tasks, nproc, chunksize=8) if nproc > 1
                   else track_progress(_process, tasks))
    except BaseException:
        print(flush=True)  # end the progress bar's line: the error starts on its own
        raise
    values, written, unmapped = zip(*results)
    present = np.unique(np.concatenate(values))
    return SplitReport(
        split=split, images=len(items), written=sum(written), kept=len(items) - sum(written),
        label_min=int(present.min()) if present.size else None, label_max=int(present.max()) if present.size else None,
        classes_present=int(present.size), unmapped_pixels=int(sum(unmapped)), official_count=s.official_count,
        img_dir=osp.join(data_root, s.img_dir), seg_dir=osp.join(data_root, s.seg_dir))
