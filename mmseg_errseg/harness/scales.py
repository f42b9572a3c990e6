"""The two scales the harness runs at: the paper's (full) and a toy one (smoke), with the smoke data.

Efficiency always runs the full-size model (FLOPs and memory are facts of the architecture).
"""
import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence

from ..datasets import EVAL_BENCHMARKS, TRAIN_BENCHMARK, make_dataset
from ..utils import write_json

__all__ = ['Scale', 'FULL', 'SMOKE', 'CONFIG_DIR', 'SMOKE_DATA', 'ensure_smoke_data']

#: Synthetic data of smoke runs: ``make_dataset`` arguments (the record keys include them).
SMOKE_DATA = dict(num_images=4, size=(64, 80), seed=0)
#: The configs shipped inside the package (``configs/`` at the repository root links here).
CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'


@dataclass(frozen=True)
class Scale:
    """How the paper's experiments are instantiated: the training config per model size (relative to
    ``configs/``), the factor on the paper's input sizes, the timed and warm-up runs of efficiency
    measurements, generated data or the user's, torch's CPU threads (``None``: its default)."""
    name: str
    train_configs: Dict[str, str]
    pixels_per_paper_pixel: float = 1.0
    profile_runs: int = 10
    profile_warmup: int = 2
    synthetic_data: bool = False
    torch_threads: Optional[int] = None

    @property
    def smoke(self) -> bool:
        return self.name == 'smoke'

    def crop(self, paper_pixels: int) -> int:
        """Network input size for one of the paper's sizes (a multiple of 32)."""
        if self.pixels_per_paper_pixel == 1.0:
            return int(paper_pixels)
        return 32 * max(1, round(paper_pixels * self.pixels_per_paper_pixel / 32))

    def train_config(self, model: str) -> Path:
        """The training config a variant of model size ``model`` ('b' or 'l') overrides."""
        return CONFIG_DIR / self.train_configs[model]

    @staticmethod
    def profile_config(model: str) -> Path:
        """The full-size model config efficiency runs build (no data, random weights)."""
        return CONFIG_DIR / '_base_' / 'models' / {'b': 'errseg_convnext-b.py', 'l': 'errseg_convnext-l.py'}[model]

    def data_spec(self) -> Optional[dict]:
        """What the data of this scale is, for record keys (``None``: the user's prepared data)."""
        return dict(SMOKE_DATA, size=list(SMOKE_DATA['size'])) if self.synthetic_data else None


#: The paper's scale: ERR-Seg-B/L trained as the paper (80k iterations, 640x640, batch 4).
FULL = Scale('full', {'b': 'errseg/errseg_convnext-b_1xb4-80k_coco-stuff171-640x640.py',
                      'l': 'errseg/errseg_convnext-l_1xb4-80k_coco-stuff171-640x640.py'})

#: Toy scale: the tiny model (both sizes), a few iterations on generated data, paper sizes / 5.
SMOKE = Scale('smoke', dict.fromkeys('bl', 'errseg/errseg_tiny_1xb2-6it_coco-stuff171-128x128.py'),
              pixels_per_paper_pixel=0.2, profile_runs=1, profile_warmup=0, synthetic_data=True, torch_threads=1)


def ensure_smoke_data(root: Path, names: Sequence[str] = (TRAIN_BENCHMARK, *EVAL_BENCHMARKS)) -> bool:
    """Write the smoke datasets (COCO-Stuff: its training split only) under ``root`` unless a marker written
    last says they are complete (``make_dataset`` is deterministic: an interrupted one is redone); returns
    whether anything was generated."""
    spec = dict(SMOKE.data_spec(), datasets=list(names))
    marker = Path(root) / '.errseg_smoke_data.json'
    with contextlib.suppress(OSError, ValueError):  # no marker, or an unreadable one: generate
        if json.loads(marker.read_text(encoding='utf-8')) == spec:
            return False
    for name in names:
        make_dataset(name, str(root), **SMOKE_DATA, splits=['train'] if name == TRAIN_BENCHMARK else ['val'])
    write_json(marker, spec)
    return True
