"""The generated datasets of smoke runs: every benchmark's prepared layout, written once."""
import json
from pathlib import Path
from typing import Sequence

from ..datasets.benchmarks import EVAL_BENCHMARKS, TRAIN_BENCHMARK
from ..utils import write_json
from .scales import SMOKE_DATA

__all__ = ['ensure_smoke_data', 'SMOKE_DATASETS']

SMOKE_DATASETS = (TRAIN_BENCHMARK,) + tuple(EVAL_BENCHMARKS)
_MARKER = '.errseg_smoke_data.json'

def ensure_smoke_data(root: Path, names: Sequence[str] = SMOKE_DATASETS) -> bool:
    """Write the smoke datasets under ``root`` unless they are there already.

    ``make_dataset`` is deterministic, so an interrupted generation is simply
    redone; a marker written last (atomically) says the data is complete.

    Args:
        root: The data root of the sweep.
        names: Benchmarks to generate (COCO-Stuff: its training split only).

    Returns:
        Whether anything was generated.
    """

    from ..datasets import make_dataset
    spec = dict(SMOKE_DATA, size=list(SMOKE_DATA['size']), datasets=list(names))
    marker = Path(root) / _MARKER
    try:
        if json.loads(marker.read_text(encoding='utf-8')) == spec:
            return False
    except (OSError, ValueError):
        pass
    for name in names:
        make_dataset(name, str(root), num_images=SMOKE_DATA['num_images'], size=tuple(SMOKE_DATA['size']),
                     seed=SMOKE_DATA['seed'], splits=['train'] if name == TRAIN_BENCHMARK else ['val'])
    write_json(marker, spec)
    return True
