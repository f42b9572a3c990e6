"""Colour overlay of a label map on its image, with a legend of the classes present."""
import functools
import math
import os
import warnings
from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..vocabularies import make_palette

__all__ = ['LegendEntry', 'make_palette', 'legend_entries', 'blend_labels', 'render_overlay']


class LegendEntry(NamedTuple):
    """One class of the legend: its vocabulary index, name, RGB colour and area fraction."""
    index: int
    name: str
    color: tuple
    fraction: float


def legend_entries(counts: np.ndarray, names: Sequence[str], palette: np.ndarray) -> List[LegendEntry]:
    """A :class:`LegendEntry` per class present ((T,) pixel counts > 0), in vocabulary order."""
    total = max(int(counts.sum()), 1)
    return [LegendEntry(int(i), names[i], tuple(int(c) for c in palette[i]), float(counts[i]) / total)
            for i in np.flatnonzero(counts)]


def blend_labels(image: np.ndarray, labels: np.ndarray, palette: np.ndarray, opacity: float) -> np.ndarray:
    """``(1 - opacity) * image + opacity * palette[labels]`` of uint8 RGB, rounded to uint8."""
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f'opacity must be in [0, 1], got {opacity}')
    if image.shape[:2] != labels.shape:
        raise ValueError(f'image {image.shape[:2]} and label map {labels.shape} differ in size')
    mixed = (1.0 - opacity) * image.astype(np.float32) + opacity * palette[labels].astype(np.float32)
    return np.clip(np.round(mixed), 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=None)
def _font_files() -> Tuple[str, ...]:
    """DejaVu Sans (shipped with matplotlib: Latin, Greek, Cyrillic, ...), then the system's fonts."""
    from matplotlib import font_manager, get_data_path
    dejavu = os.path.join(get_data_path(), 'fonts', 'ttf', 'DejaVuSans.ttf')
    return (dejavu, *sorted(font_manager.findSystemFonts(fontext='ttf')))


@functools.lru_cache(maxsize=None)
def _missing(path: str, text: str) -> str:
    """The characters of ``text`` the font file has no glyph for."""
    from matplotlib.ft2font import FT2Font
    try:
        face = FT2Font(path)
    except (OSError, RuntimeError):
        return text
    return ''.join(c for c in text if not c.isspace() and face.get_char_index(ord(c)) == 0)


def _font(size: int, texts: Sequence[str]) -> ImageFont.FreeTypeFont:
    """The first font (:func:`_font_files`) that draws every character of ``texts``; warns if none does."""
    text = ''.join(sorted(set(''.join(texts))))
    path = next((p for p in _font_files() if not _missing(p, text)), None)
    if path is None:
        path = _font_files()[0]
        warnings.warn(f'no installed font has glyphs for {_missing(path, text)!r}: those characters of the '
                      'legend are drawn as boxes (install a font that covers them, e.g. Noto Sans CJK)')
    return ImageFont.truetype(path, size)


def render_overlay(image: np.ndarray, labels: np.ndarray, palette: np.ndarray,
                   entries: Sequence[LegendEntry], opacity: float = 0.5,
                   font_size: Optional[int] = None) -> np.ndarray:
    """The blended image (:func:`blend_labels`) with a legend panel on its right, uint8 RGB on white.

    The legend lists ``entries`` (:func:`legend_entries`) in columns of the image's height (at least 8
    rows each): a colour swatch, the class name and its share. ``font_size`` defaults to 1/30 of the
    shorter side, within 12 to 64 pixels.
    """
    h, w = labels.shape
    size = font_size or int(np.clip(round(min(h, w) / 30), 12, 64))
    row, margin, swatch = round(size * 1.5), size // 2 + 2, size
    texts = [f'{e.name}  ' + (f'{100 * e.fraction:.1f}%' if e.fraction >= 5e-4 else '<0.1%') for e in entries]
    font = _font(size, texts)
    rows = max(1, min(len(texts), max((h - 2 * margin) // row, 8)))
    cols = max(1, math.ceil(len(texts) / rows))
    probe = ImageDraw.Draw(Image.new('RGB', (1, 1)))
    text_w = max((probe.textlength(t, font=font) for t in texts), default=0)
    col_w = swatch + margin + math.ceil(text_w) + 2 * margin
    canvas = np.full((max(h, rows * row + 2 * margin), w + margin + cols * col_w, 3), 255, np.uint8)
    canvas[:h, :w] = blend_labels(image, labels, palette, opacity)
    pil = Image.fromarray(canvas)
    draw = ImageDraw.Draw(pil)
    for k, (entry, text) in enumerate(zip(entries, texts)):
        x = w + margin + (k // rows) * col_w
        y = margin + (k % rows) * row + (row - swatch) // 2
        draw.rectangle([x, y, x + swatch - 1, y + swatch - 1], fill=entry.color, outline=(0, 0, 0))
        draw.text((x + swatch + margin, y + swatch // 2), text, fill=(0, 0, 0), font=font, anchor='lm')
    return np.asarray(pil)
