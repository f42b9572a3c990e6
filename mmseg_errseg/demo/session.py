"""The demo's model side: one inferencer, each request checked and turned into the page's outputs.

Nothing here imports Gradio: a bad request raises ``ValueError`` with the message the page shows.
"""
import tempfile
import warnings
from pathlib import Path
from typing import List, NamedTuple, Optional, Union

import cv2
import numpy as np
import pandas as pd
import torch

from ..apis import ERRSegInferencer
from ..apis.files import read_image, write_area_table, write_label_map
from ..datasets.benchmarks import BENCHMARKS
from ..models.prompts import check_vocabulary
from ..vocabularies import load_vocabulary, parse_vocab

__all__ = ['DemoResult', 'DemoSession', 'EXAMPLES', 'MAX_SIDE', 'TINY_CONFIG']

#: Config of the tiny random model served when no checkpoint is given.
TINY_CONFIG = str(Path(__file__).parents[1] / 'configs' / '_base_' / 'models' / 'errseg_tiny.py')
#: Longest image side segmented; larger uploads are downscaled to it (the overlay and label map too).
MAX_SIDE = 2048
_EXAMPLES = Path(__file__).parent / 'examples'
#: Shipped photos (scikit-image's CC0 samples 'chelsea' and 'coffee') with a vocabulary for each.
EXAMPLES = [[str(_EXAMPLES / 'cat.jpg'), 'cat, blanket, wall'],
            [str(_EXAMPLES / 'coffee.jpg'), 'coffee, cup, saucer, spoon, table']]


class DemoResult(NamedTuple):
    """What the page shows for one request: the RGB overlay with legend, the classes present (largest
    first), the P classes RRHC kept (best first, with R(t)), the label map and area table files, notes."""
    overlay: np.ndarray
    areas: pd.DataFrame
    kept: pd.DataFrame
    files: List[str]
    notes: List[str]


class DemoSession:
    """The model, loaded once (without ``checkpoint``: ``config``, default the tiny one, with seeded random
    weights), and the checks of every request of the demo page."""

    def __init__(self, checkpoint: Optional[str] = None, config: Optional[str] = None, device: str = 'cpu') -> None:
        self.random_weights = checkpoint is None
        if self.random_weights:
            config = TINY_CONFIG if config is None else config
            torch.manual_seed(0)  # the same random weights at every start
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', 'no checkpoint given')  # the page says so
            self.inferencer = ERRSegInferencer(config, weights=checkpoint, device=device, show_progress=False)
        self.model_name = Path(checkpoint).name if checkpoint else Path(config).stem
        self.default_num_selected = self.inferencer.model.test_cfg.get('num_selected')
        self._downloads = tempfile.TemporaryDirectory(prefix='errseg-demo-')  # removed at exit

    @staticmethod
    def shipped_vocabulary(name: str) -> tuple:
        """A shipped dataset vocabulary as the vocabulary box shows it, and the dataset's test-time P."""
        return '; '.join(load_vocabulary(name)), BENCHMARKS[name].num_selected if name in BENCHMARKS else None

    @staticmethod
    def parse_vocabulary(text: Optional[str]) -> List[str]:
        """Class names typed in the vocabulary box (as ``errseg infer --vocab``)."""
        if not text or not text.replace(',', '').replace(';', '').strip():
            raise ValueError('The vocabulary is empty: type class names separated by commas, '
                             'e.g. "cat, grass, sky", or pick a dataset vocabulary')
        try:
            return check_vocabulary(parse_vocab(text))
        except ValueError as e:
            raise ValueError(f'{str(e).capitalize()}: list each class once (synonyms of one class go '
                             'together, e.g. "cat; sofa, couch; floor")') from None

    @staticmethod
    def check_num_selected(value: Union[None, int, float], num_classes: int) -> Optional[int]:
        """P as asked (None or 0: the default), checked against the vocabulary size."""
        if not value:
            return None
        if not float(value).is_integer() or not 1 <= value <= num_classes:
            raise ValueError(f'P = {value:g} is out of range: give a whole number from 1 to {num_classes} '
                             f'(the vocabulary has {num_classes} classes), or 0 for the default')
        return int(value)

    def load_image(self, path: str, name: str) -> tuple:
        """The upload decoded as ``errseg infer`` reads images (BGR), downscaled past :data:`MAX_SIDE`, and notes."""
        try:
            image = read_image(path)
        except ValueError:
            raise ValueError(f'{name} is not an image that can be read: upload a JPEG, PNG, BMP, TIFF '
                             'or WebP photo') from None
        h, w = image.shape[:2]
        if max(h, w) <= MAX_SIDE:
            return image, []
        scale = MAX_SIDE / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return image, [f'{name} is {w}×{h} pixels: downscaled to {size[0]}×{size[1]} '
                       f'(longest side {MAX_SIDE}); the overlay and label map have that size']

    def segment(self, path: str, name: str, vocabulary: str,
                num_selected: Union[None, int, float] = None) -> DemoResult:
        """The page's outputs for an upload (``name`` in messages), the vocabulary box's text and P (0: default)."""
        names = self.parse_vocabulary(vocabulary)
        p = self.check_num_selected(num_selected, len(names))
        image, notes = self.load_image(path, name)
        self.inferencer.num_selected = p
        result = next(self.inferencer.iter_results(image, vocabulary=names, return_vis=True))
        areas = result.areas.assign(area=(100 * result.areas.fraction).round(2))
        kept = pd.DataFrame(dict(class_index=result.data_sample.kept_classes, score=result.data_sample.kept_scores))
        kept = kept.sort_values(['score', 'class_index'], ascending=[False, True], ignore_index=True)
        kept = kept.assign(rank=np.arange(1, len(kept) + 1), score=kept.score.round(3)).merge(areas, on='class_index')
        present = areas[areas.pixels > 0].sort_values('pixels', ascending=False, kind='stable')
        stem = Path(name).stem or 'image'
        folder = Path(tempfile.mkdtemp(dir=self._downloads.name))
        files = [str(folder / f'{stem}_labels.png'), str(folder / f'{stem}_areas.csv')]
        write_label_map(files[0], result.labels, len(names))
        write_area_table(files[1], result.areas)
        header = {'class_index': 'class index', 'class_name': 'class', 'area': 'area %', 'score': 'score R(t)'}
        return DemoResult(
            overlay=result.visualization,
            areas=present[['class_index', 'class_name', 'pixels', 'area']].rename(columns=header),
            kept=kept[['rank', 'class_index', 'class_name', 'score', 'area']].rename(columns=header),
            files=files, notes=notes)
