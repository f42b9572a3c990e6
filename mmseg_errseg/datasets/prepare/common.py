"""What every conversion shares: items, atomic writes, image placement, checks, progress, reports."""
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image, UnidentifiedImageError

from ...utils import atomic_path
from ..benchmarks import Benchmark
from ..loading import read_label_map

__all__ = [
    'Item', 'SplitReport', 'PrepareReport', 'LINK_MODES', 'require', 'lookup_table',
    'check_range', 'place_file', 'save_array_atomic', 'split_items', 'folder_items', 'convert_split', 'convert_splits',
    'read_id_list'
]

#: How images reach the prepared layout when it is not the raw folder itself.
LINK_MODES = ('symlink', 'hardlink', 'copy')
_SHOW = 3


@dataclass
class Item:
    """One image of a split: its raw image, its prepared image and label map, its converter input."""
    stem: str
    src_image: str
    dst_image: str
    dst_label: str
    source: Any


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
    splits: List[SplitReport] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def lines(self) -> List[str]:
        out = [f'{self.name}: prepared under {self.data_root}'] + [f'note: {n}' for n in self.notes]
        for s in self.splits:
            out += s.lines()
        return out


#: converter(source) -> (label map, image array to write or None, labelled pixels mapped to ignore)
Converter = Callable[[Any], Tuple[np.ndarray, Optional[np.ndarray], int]]


def require(name: str, src: str, paths: Sequence[str], expected: str) -> None:
    """Raise one error naming every required raw file/folder that is missing."""
    missing = [p for p in paths if not osp.exists(osp.join(src, p))]
    if not osp.isdir(src):
        raise FileNotFoundError(f'{name}: --src {src!r} does not exist (expected {expected})')
    if missing:
        raise FileNotFoundError(f'{name}: --src {src!r} lacks {", ".join(repr(m) for m in missing)} '
                                f'(expected {expected})')


def _paths(source: Any) -> List[str]:
    """The files a converter input names: a path, or a tuple of paths (anything else is data)."""
    if isinstance(source, str):
        return [source]
    if isinstance(source, tuple) and all(isinstance(s, str) for s in source):
        return list(source)
    return []


def split_items(bench: Benchmark, split: str, dst: str, entries: Iterable[Tuple[str, str, Any]],
                what: str) -> List[Item]:
    """The items of one split, once every raw file they read is known to exist.

    Args:
        bench: The benchmark (its prepared layout and label suffix).
        split: ``'val'`` or ``'train'``.
        dst: The data root.
        entries: ``(stem, raw image, converter input)`` per image; the input's paths are checked too.
        what: How an error names the raw files, e.g. ``'validation images of val.txt'``.

    Raises:
        FileNotFoundError: Naming how many raw files are missing, and the first few.
    """
    out = bench.split(split)
    items = [Item(stem, image, osp.join(dst, out.img_dir, stem + '.jpg'),
                  osp.join(dst, out.seg_dir, stem + bench.seg_map_suffix), source) for stem, image, source in entries]
    paths = list(dict.fromkeys(p for i in items for p in (i.src_image, *_paths(i.source))))
    missing = [p for p in paths if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(f'{bench.name}: {len(missing)} of {len(paths)} {what} are missing, e.g. '
                                f'{", ".join(missing[:_SHOW])}')
    return items


def folder_items(bench: Benchmark, split: str, dst: str, src: str, folder: str, what: str) -> List[Item]:
    """The items of ``src/images/FOLDER/*.jpg`` with their ``src/annotations/FOLDER/*.png`` label maps."""
    ann_dir, img_dir = osp.join(src, 'annotations', folder), osp.join(src, 'images', folder)
    stems = sorted(f[:-4] for f in os.listdir(ann_dir) if f.endswith('.png'))
    return split_items(bench, split, dst, [(s, osp.join(img_dir, s + '.jpg'), osp.join(ann_dir, s + '.png'))
                                           for s in stems], what)


def convert_splits(bench: Benchmark, dst: str, splits: Dict[str, List[Item]], convert: Converter,
                   notes: Sequence[str] = (), **options: Any) -> PrepareReport:
    """Convert every split (:func:`convert_split`; ``options``: ``link``, ``overwrite``, ``nproc``)."""
    report = PrepareReport(bench.name, dst, notes=list(notes))
    for split, items in splits.items():
        report.splits.append(convert_split(bench, split, items, convert, dst, **options))
    return report


def read_id_list(path: str) -> List[str]:
    """Image ids, one per line (blank lines skipped)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'id list {path!r} does not exist')
    with open(path, encoding='utf-8') as f:
        ids = [line.strip() for line in f if line.strip()]
    if not ids:
        raise ValueError(f'id list {path!r} is empty')
    return ids


def lookup_table(mapping: Dict[int, int], size: int, fill: int, dtype=np.uint16) -> np.ndarray:
    """A label lookup table: ``table[raw] = new`` for the mapping, ``fill`` elsewhere."""
    table = np.full(size, fill, dtype=dtype)
    table[np.fromiter(mapping.keys(), dtype=np.int64)] = np.fromiter(mapping.values(), dtype=np.int64)
    return table


def check_range(values: np.ndarray, allowed: np.ndarray, path: str, expected: str) -> None:
    """Raise when a raw label map holds values outside the release's encoding."""
    bad = np.setdiff1d(values, allowed)
    if bad.size:
        raise ValueError(f'{path}: malformed label map, values {bad[:8].tolist()} are not {expected}')


def save_array_atomic(array: np.ndarray, path: str, fmt: str) -> None:
    """Save an image/label array (``fmt``: PNG, TIFF or JPEG) atomically."""
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format=fmt)


def place_file(src: str, dst: str, mode: str, overwrite: bool = False) -> None:
    """Make ``dst`` the file ``src`` (symlink, hard link or copy); nothing when it already is."""
    if osp.abspath(src) == osp.abspath(dst):
        return
    if osp.lexists(dst):
        if not overwrite and osp.exists(dst):
            return
        if osp.exists(dst) and osp.samefile(src, dst):
            return
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(dst)}.', suffix='.tmp', dir=osp.dirname(dst))
    os.close(fd)
    os.remove(tmp)  # a free name beside dst for the link, then renamed over it
    try:
        if mode == 'symlink':
            os.symlink(osp.abspath(src), tmp)
        elif mode == 'hardlink':
            os.link(src, tmp)
        elif mode == 'copy':
            shutil.copyfile(src, tmp)
        else:
            raise ValueError(f'link mode {mode!r}: expected one of {LINK_MODES}')
        os.replace(tmp, dst)
    except BaseException:
        if osp.lexists(tmp):
            os.remove(tmp)
        raise


def _convert(item: Item, convert: Converter) -> Tuple[np.ndarray, Optional[np.ndarray], int]:
    try:
        return convert(item.source)
    except (OSError, ValueError, SyntaxError) as e:  # PIL names a BytesIO, not the file
        source = item.source if isinstance(item.source, str) else item.src_image
        if str(source) in str(e):
            raise
        reason = 'not a readable image' if isinstance(e, UnidentifiedImageError) else f'{type(e).__name__}: {e}'
        raise ValueError(f'{source}: cannot be converted ({reason})') from e


def _check_prepared(item: Item, label: np.ndarray) -> None:
    """An existing output is kept only if it is what the conversion gives (the label bit for bit)."""
    try:
        existing = read_label_map(item.dst_label)
        with Image.open(item.dst_image) as im:
            image_size = im.size
    except (OSError, ValueError, SyntaxError) as e:
        raise ValueError(f'{item.dst_label} (or its image): an existing output cannot be read ({e}); rerun '
                         'with --overwrite') from e
    if existing.shape != label.shape or not np.array_equal(existing, label):
        raise ValueError(f'{item.dst_label} exists but differs from the conversion of {item.stem}: rerun with '
                         '--overwrite')
    if image_size != label.shape[::-1]:
        raise ValueError(f'{item.dst_image} is {image_size[0]}x{image_size[1]}, its label map '
                         f'{label.shape[1]}x{label.shape[0]}: rerun with --overwrite')


def _process(args) -> Tuple[np.ndarray, bool, int]:
    item, convert, bench, link, overwrite = args
    label, image, unmapped = _convert(item, convert)
    written = overwrite or not osp.exists(item.dst_label) or not osp.exists(item.dst_image)
    if written:
        if image is not None:
            save_array_atomic(image, item.dst_image, 'JPEG')
        else:
            place_file(item.src_image, item.dst_image, link, overwrite)
        save_array_atomic(label, item.dst_label, 'TIFF' if bench.label_bits == 16 else 'PNG')
    else:  # prepared before: checked against the conversion, not rewritten
        _check_prepared(item, label)
    values = np.unique(label)
    valid = values[values != bench.ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= bench.num_classes):
        raise ValueError(f'{item.dst_label}: label values {valid[valid >= bench.num_classes][:8].tolist()} are '
                         f'outside 0..{bench.num_classes - 1} and not the ignore index {bench.ignore_index}; '
                         'rerun with --overwrite')
    return valid, written, unmapped


def convert_split(bench: Benchmark, split: str, items: List[Item], convert: Converter, data_root: str, *,
                  link: str = 'symlink', overwrite: bool = False, nproc: int = 1) -> SplitReport:
    """Convert one split with a progress bar, then check what was written.

    Existing outputs are kept unless ``overwrite``, after checking that they equal the conversion (label
    maps bit for bit, images by size); every file is written atomically, so an interrupted run resumes.
    ``convert`` is a module-level function (it runs in worker processes).
    """
    if link not in LINK_MODES:
        raise ValueError(f'link mode {link!r}: expected one of {LINK_MODES}')
    if not items:
        raise FileNotFoundError(f'{bench.name}: no {split} images found')
    s = bench.split(split)
    for folder in {osp.dirname(i.dst_image) for i in items} | {osp.dirname(i.dst_label) for i in items}:
        os.makedirs(folder, exist_ok=True)
    tasks = [(item, convert, bench, link, overwrite) for item in items]
    print(f'{bench.name} {split}: {len(items)} images')
    try:
        if nproc > 1:
            results = track_parallel_progress(_process, tasks, nproc, chunksize=8)
        else:
            results = track_progress(_process, tasks)
    except BaseException:
        print(flush=True)  # end the progress bar's line: the error starts on its own
        raise
    present = np.unique(np.concatenate([r[0] for r in results])) if results else np.array([])
    return SplitReport(
        split=split, images=len(items), written=sum(r[1] for r in results),
        kept=sum(not r[1] for r in results),
        label_min=int(present.min()) if present.size else None,
        label_max=int(present.max()) if present.size else None,
        classes_present=int(present.size), unmapped_pixels=int(sum(r[2] for r in results)),
        official_count=s.official_count, img_dir=osp.join(data_root, s.img_dir),
        seg_dir=osp.join(data_root, s.seg_dir))
