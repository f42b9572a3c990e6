"""Inference building blocks without a model: images, overlay and legend, label maps, area tables."""

import cv2
import numpy as np
import pandas as pd
import pytest

from mmseg_errseg.apis.files import (area_table, check_unique_names, collect_images, label_map_dtype, read_image,
                                     write_area_table, write_label_map)
from mmseg_errseg.apis.overlay import blend_labels, legend_entries, make_palette, render_overlay
from mmseg_errseg.vocabularies import parse_vocab


# ---------------------------------------------------------------- vocabulary text
@pytest.mark.parametrize('text, names', [
    ('cat, grass, sky', ['cat', 'grass', 'sky']),
    ('cat,grass , sky,', ['cat', 'grass', 'sky']),
    ('cat; sofa, couch; floor', ['cat', 'sofa, couch', 'floor']),
    ('cat;sofa,couch ;', ['cat', 'sofa, couch']),
])
def test_parse_vocab(text, names):
    assert parse_vocab(text) == names


@pytest.mark.parametrize('text', ['', ' , ', ';;'])
def test_parse_vocab_empty(text):
    with pytest.raises(ValueError, match='holds no class name'):
        parse_vocab(text)


# ---------------------------------------------------------------- images
def test_collect_images(tmp_path):
    folder = tmp_path / 'photos'
    (folder / 'sub').mkdir(parents=True)
    for name in ('b.png', 'a.JPG', 'notes.txt', 'sub/c.png'):
        (folder / name).write_bytes(b'x')
    single = tmp_path / 'z.bmp'
    single.write_bytes(b'x')
    got = collect_images([folder, str(single)])
    assert got == [str(folder / 'a.JPG'), str(folder / 'b.png'), str(single)]


def test_collect_images_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.png: no such image file or folder'):
        collect_images([tmp_path / 'nope.png'])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='holds no image'):
        collect_images([tmp_path / 'empty'])
    with pytest.raises(ValueError, match='no input images'):
        collect_images([])


def test_read_image(tmp_path):
    image = np.random.RandomState(0).randint(0, 256, (5, 7, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / 'ok.png'), image)
    np.testing.assert_array_equal(read_image(str(tmp_path / 'ok.png')), image)  # BGR, as cv2 wrote it
    cv2.imwrite(str(tmp_path / 'gray.png'), image[..., 0])
    assert read_image(str(tmp_path / 'gray.png')).shape == (5, 7, 3)
    (tmp_path / 'bad.jpg').write_bytes(b'not an image')
    with pytest.raises(ValueError, match='bad.jpg: cannot be decoded as an image'):
        read_image(str(tmp_path / 'bad.jpg'))
    (tmp_path / 'empty.png').write_bytes(b'')
    with pytest.raises(ValueError, match='empty.png: cannot be decoded'):
        read_image(str(tmp_path / 'empty.png'))
    with pytest.raises(FileNotFoundError, match='gone.png: no such image file'):
        read_image(str(tmp_path / 'gone.png'))


def test_check_unique_names():
    check_unique_names(['a', 'b'], ['x/a.png', 'x/b.png'])
    with pytest.raises(ValueError, match="x/a.png and y/a.jpg would both write outputs named 'a'"):
        check_unique_names(['a', 'a'], ['x/a.png', 'y/a.jpg'])


# ---------------------------------------------------------------- overlay and legend
def test_palette_is_deterministic_and_distinct():
    p = make_palette(300)
    assert p.shape == (300, 3) and p.dtype == np.uint8
    np.testing.assert_array_equal(p[:20], make_palette(20))  # a class keeps its colour as T grows
    assert len({tuple(c) for c in p[:64]}) == 64
    neighbours = np.abs(p[1:].astype(int) - p[:-1].astype(int)).sum(1)
    assert neighbours.min() > 60  # consecutive classes are far apart


def test_blend_labels_formula():
    image = np.full((2, 3, 3), 100, np.uint8)
    labels = np.array([[0, 1, 1], [1, 0, 0]])
    palette = np.array([[255, 0, 0], [0, 0, 200]], np.uint8)
    out = blend_labels(image, labels, palette, 0.25)
    np.testing.assert_array_equal(out[0, 0], [139, 75, 75])  # 0.75 * 100 + 0.25 * (255, 0, 0), rounded
    np.testing.assert_array_equal(out[0, 1], [75, 75, 125])
    np.testing.assert_array_equal(blend_labels(image, labels, palette, 0.0), image)
    with pytest.raises(ValueError, match='opacity must be in'):
        blend_labels(image, labels, palette, 1.5)


def test_legend_lists_present_classes_in_vocabulary_order():
    names = ['cat', 'sofa, couch', 'sky', 'road']
    palette = make_palette(4)
    labels = np.array([[3, 3, 1], [3, 1, 1]])
    entries = legend_entries(np.bincount(labels.ravel(), minlength=4), names, palette)
    assert [(e.index, e.name) for e in entries] == [(1, 'sofa, couch'), (3, 'road')]
    assert [e.fraction for e in entries] == [0.5, 0.5]
    assert entries[1].color == tuple(int(c) for c in palette[3])


def test_render_overlay_has_the_legend_swatches():
    names = [f'class {i}' for i in range(6)]
    palette = make_palette(6)
    labels = np.zeros((60, 80), np.int64)
    labels[:, 40:] = 4
    image = np.zeros((60, 80, 3), np.uint8)
    entries = legend_entries(np.bincount(labels.ravel(), minlength=6), names, palette)
    canvas = render_overlay(image, labels, palette, entries, opacity=1.0)
    assert canvas.shape[0] == 60 and canvas.shape[1] > 80
    np.testing.assert_array_equal(canvas[:, :80], palette[labels])  # opacity 1: pure class colours
    panel = canvas[:, 80:].reshape(-1, 3)
    for i in range(6):
        present = (panel == palette[i]).all(1).sum()
        assert (present > 16) == (i in (0, 4)), i  # a filled swatch for exactly the classes present


def test_render_overlay_wraps_a_long_legend_into_columns():
    palette = make_palette(40)
    labels = np.arange(40).repeat(10).reshape(20, 20)
    entries = legend_entries(np.bincount(labels.ravel(), minlength=40), [f'c{i}' for i in range(40)], palette)
    one_col = render_overlay(np.zeros((20, 20, 3), np.uint8), labels, palette, entries[:8])
    many = render_overlay(np.zeros((20, 20, 3), np.uint8), labels, palette, entries)
    assert many.shape[0] == one_col.shape[0]  # 8 rows per column at least, then more columns
    assert many.shape[1] > 3 * (one_col.shape[1] - 20)


def _legend_of(name):
    labels = np.zeros((40, 40), np.int64)
    entries = legend_entries(np.array([1600]), [name], make_palette(1))
    return render_overlay(np.zeros((40, 40, 3), np.uint8), labels, make_palette(1), entries, font_size=20)


@pytest.mark.parametrize('names', [['à', 'é', 'ö'], ['кот', 'пёс'], ['Ωμέγα', 'Δέλτα']])
def test_legend_draws_non_ascii_names(names, recwarn):
    """Each name is drawn with its own glyphs: with boxes for missing glyphs, the legends would be equal."""
    legends = [_legend_of(n) for n in names]
    for a, b in zip(legends, legends[1:]):
        assert a.shape != b.shape or not np.array_equal(a, b)
    assert not [w for w in recwarn if 'no installed font' in str(w.message)]


def test_cjk_names_drawn_or_named_as_missing():
    from mmseg_errseg.apis.overlay import _font_files, _missing
    if any(not _missing(path, '猫犬') for path in _font_files()):  # a CJK font is installed
        assert not np.array_equal(_legend_of('猫'), _legend_of('犬'))
    else:
        with pytest.warns(UserWarning, match="no installed font has glyphs for '猫'"):
            _legend_of('猫')


# ---------------------------------------------------------------- files
@pytest.mark.parametrize('num_classes, dtype', [(2, np.uint8), (256, np.uint8), (257, np.uint16),
                                                (3000, np.uint16)])
def test_label_map_round_trip(tmp_path, num_classes, dtype):
    labels = np.random.RandomState(0).randint(0, num_classes, (9, 11))
    labels[0, 0] = num_classes - 1
    write_label_map(str(tmp_path / 'l.png'), labels, num_classes)
    back = cv2.imread(str(tmp_path / 'l.png'), cv2.IMREAD_UNCHANGED)
    assert back.dtype == dtype and label_map_dtype(num_classes) == dtype
    np.testing.assert_array_equal(back, labels)
    with pytest.raises(ValueError, match='at most 65536 classes'):
        label_map_dtype(65537)


def test_area_table(tmp_path):
    table = area_table(np.array([3, 0, 1]), ['cat', 'sofa, couch', 'sky'])
    write_area_table(str(tmp_path / 'a.csv'), table)
    assert (tmp_path / 'a.csv').read_text().endswith('0.250000\n')  # a final newline
    back = pd.read_csv(tmp_path / 'a.csv')
    assert list(back.columns) == ['class_index', 'class_name', 'pixels', 'fraction']
    assert back.class_name.tolist() == ['cat', 'sofa, couch', 'sky']
    assert back.pixels.tolist() == [3, 0, 1]
    np.testing.assert_allclose(back.fraction, [0.75, 0.0, 0.25])
