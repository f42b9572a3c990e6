"""Class-name lists shipped with the package, and loading of user vocabularies."""
import json
from pathlib import Path
from typing import List, Sequence, Union

import numpy as np

__all__ = ['VOCABULARIES', 'load_vocabulary', 'parse_vocab', 'make_palette']

_DIR = Path(__file__).parent / 'class_names'
#: Names of the shipped vocabularies (COCO-Stuff-171 and the five OVSS benchmarks).
VOCABULARIES = tuple(sorted(p.stem for p in _DIR.glob('*.json')))


def load_vocabulary(spec: Union[str, Path, Sequence[str]]) -> List[str]:
    """The class names of one of :data:`VOCABULARIES`, a ``.json`` list, a text file with one name per line
    (synonyms separated by ``", "``), or the names themselves."""
    if not isinstance(spec, (str, Path)):
        return list(spec)
    path = _DIR / f'{spec}.json' if str(spec) in VOCABULARIES else Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f'vocabulary {str(spec)!r} is neither a shipped vocabulary {VOCABULARIES} nor a file')
    if path.suffix == '.json':
        names = json.loads(path.read_text(encoding='utf-8'))
        if not isinstance(names, list):
            raise ValueError(f'{path}: expected a JSON list of class names')
        return [str(n) for n in names]
    return [line.strip() for line in path.read_text(encoding='utf-8').splitlines() if line.strip()]


def make_palette(num_classes: int) -> np.ndarray:
    """(T, 3) uint8 RGB colours, neighbouring indices distant: hues step by the golden ratio, saturation and
    value alternate so that classes of similar hue still differ."""
    from matplotlib.colors import hsv_to_rgb
    i = np.arange(num_classes)
    hsv = np.stack([(i * 0.6180339887498949) % 1.0, 0.95 - 0.3 * ((i // 2) % 2), 0.95 - 0.25 * (i % 2)], axis=1)
    return np.round(hsv_to_rgb(hsv) * 255).astype(np.uint8)


def parse_vocab(text: str) -> List[str]:
    """Class names from ``--vocab``: comma-separated, or semicolon-separated with comma-separated synonyms.

    Synonyms are joined with ``", "``, the form the model splits them by.
    """
    names = [', '.join(s.strip() for s in part.split(',') if s.strip())
             for part in text.split(';' if ';' in text else ',')]
    names = [n for n in names if n]
    if not names:
        raise ValueError(f'--vocab {text!r} holds no class name: give names like "cat, grass, sky"')
    return names
