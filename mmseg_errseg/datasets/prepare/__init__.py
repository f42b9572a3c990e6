"""Conversion of the public raw releases into the prepared layout (``errseg prepare``)."""
import inspect
from typing import Any, Callable, Dict

from ..benchmarks import get_benchmark
from .ade20k import prepare_ade150, prepare_ade847
from .coco_stuff import prepare_coco_stuff171
from .common import LINK_MODES, PrepareReport, SplitReport
from .pascal_context import prepare_pc59, prepare_pc459
from .pascal_voc import prepare_voc20

__all__ = ['PREPARERS', 'LINK_MODES', 'PrepareReport', 'SplitReport', 'prepare']

#: Benchmark name -> converter of its public release.
PREPARERS: Dict[str, Callable[..., PrepareReport]] = {
    'ade847': prepare_ade847,
    'pc459': prepare_pc459,
    'ade150': prepare_ade150,
    'pc59': prepare_pc59,
    'voc20': prepare_voc20,
    'coco_stuff171': prepare_coco_stuff171,
}


def prepare(name: str, src: str, dst: str, **options: Any) -> PrepareReport:
    """Convert the raw release ``src`` of a benchmark into the prepared layout under the data root ``dst``.

    Idempotent: outputs that exist are checked, not rewritten (unless ``overwrite``); files are written
    atomically. ``options``: ``nproc`` (worker processes), ``link`` (how images are placed,
    :data:`LINK_MODES`), ``overwrite``, ``splits``, ``ids``, ``source``; ``None`` values are ignored, an
    option the converter does not take is an error.
    """
    bench = get_benchmark(name)
    fn = PREPARERS[bench.name]
    accepted = inspect.signature(fn).parameters
    given = {k: v for k, v in options.items() if v is not None and v is not False}
    unknown = [k for k in given if k not in accepted]
    if unknown:
        usable = [k for k in accepted if k not in ('src', 'dst')]
        raise ValueError(f'{bench.name}: option(s) {", ".join("--" + k for k in unknown)} do not apply; '
                         f'it takes {", ".join("--" + k for k in usable)}')
    return fn(src, dst, **{k: v for k, v in options.items() if k in accepted and v is not None})
