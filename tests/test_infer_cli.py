"""`errseg infer` with the tiny model: outputs, progress, and one-line errors."""
import json

import cv2
import pandas as pd
import pytest
import torch
from infer_testing import TINY_CONFIG, checkpoint, one_line_error as _error, write_image  # noqa: F401

from mmseg_errseg.cli import main


def test_folder_with_synonyms_and_clamped_p(checkpoint, tmp_path, capsys):
    photos = tmp_path / 'photos'
    photos.mkdir()
    write_image(photos / 'one.png', seed=1)
    write_image(photos / 'two.jpg', 30, 50, seed=2)
    (photos / 'readme.txt').write_text('not an image')
    out = tmp_path / 'out'
    rc = main(['infer', str(photos), '--vocab', 'cat; sofa,couch; sky', '--checkpoint', checkpoint,
               '--config', TINY_CONFIG, '--out', str(out), '--num-selected', '9'])
    assert rc == 0
    captured = capsys.readouterr()
    assert 'errseg infer: warning: num_selected=9 is larger than the vocabulary (3 classes); using 3' \
        in captured.err
    assert '2/2' in captured.err  # the progress bar
    assert f'2 image(s), 3 classes -> {out}' in captured.out
    for name, shape in (('one', (40, 56)), ('two', (30, 50))):
        labels = cv2.imread(str(out / f'{name}_labels.png'), cv2.IMREAD_UNCHANGED)
        assert labels.shape == shape and labels.max() < 3
        areas = pd.read_csv(out / f'{name}_areas.csv')
        assert areas.class_name.tolist() == ['cat', 'sofa, couch', 'sky']
        assert areas.pixels.tolist() == [int((labels == i).sum()) for i in range(3)]
        assert cv2.imread(str(out / f'{name}_overlay.png')).shape[1] > shape[1]


def test_vocab_file_without_config(checkpoint, tmp_path, capsys):
    write_image(tmp_path / 'img.png')
    (tmp_path / 'vocab.json').write_text(json.dumps(['road', 'tree, bush']))
    rc = main(['infer', str(tmp_path / 'img.png'), '--vocab-file', str(tmp_path / 'vocab.json'),
               '--checkpoint', checkpoint, '--out', str(tmp_path / 'out'),
               '--cfg-options', 'model.crop_size=(64,64)'])
    assert rc == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f'{tmp_path / "img.png"}: ') and line.endswith('%')
    assert pd.read_csv(tmp_path / 'out' / 'img_areas.csv').fraction.sum() == pytest.approx(1.0)


@pytest.mark.parametrize('args, message', [
    (['--vocab', ' , '], "--vocab ' , ' holds no class name"),
    (['--vocab', 'cat, dog, cat'], "the vocabulary has duplicate class names: ['cat']"),
    (['--vocab', 'Cup, cup'], "the vocabulary has duplicate class names: ['Cup' and 'cup']"),
    (['--vocab', ' table ,TABLE'], "the vocabulary has duplicate class names: ['table' and 'TABLE']"),
    (['--vocab', 'sofa,  couch; Sofa, couch'], "duplicate class names: ['sofa, couch' and 'Sofa, couch']"),
    (['--vocab-file', 'no_such_vocab.txt'], "vocabulary 'no_such_vocab.txt' is neither a shipped vocabulary"),
])
def test_vocabulary_errors(checkpoint, tmp_path, capsys, args, message):
    write_image(tmp_path / 'img.png')
    assert main(['infer', str(tmp_path / 'img.png'), *args, '--checkpoint', checkpoint]) == 1
    assert message in _error(capsys)


def test_empty_vocab_file(checkpoint, tmp_path, capsys):
    write_image(tmp_path / 'img.png')
    (tmp_path / 'empty.txt').write_text('\n\n')
    assert main(['infer', str(tmp_path / 'img.png'), '--vocab-file', str(tmp_path / 'empty.txt'),
                 '--checkpoint', checkpoint]) == 1
    assert 'the vocabulary is empty' in _error(capsys)


def test_image_errors(checkpoint, tmp_path, capsys):
    assert main(['infer', str(tmp_path / 'missing.png'), '--vocab', 'cat', '--checkpoint', checkpoint]) == 1
    assert _error(capsys) == f'errseg infer: error: {tmp_path / "missing.png"}: no such image file or folder'
    (tmp_path / 'broken.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    assert main(['infer', str(tmp_path / 'broken.jpg'), '--vocab', 'cat', '--checkpoint', checkpoint,
                 '--config', TINY_CONFIG, '--out', str(tmp_path / 'out')]) == 1
    assert 'broken.jpg: cannot be decoded as an image' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists() or not list((tmp_path / 'out').iterdir())


def test_not_an_errseg_checkpoint(tmp_path, capsys):
    write_image(tmp_path / 'img.png')
    torch.save({'state_dict': {'conv.weight': torch.zeros(1)}}, tmp_path / 'other.pth')
    assert main(['infer', str(tmp_path / 'img.png'), '--vocab', 'cat',
                 '--checkpoint', str(tmp_path / 'other.pth')]) == 1
    assert 'other.pth is not an ERR-Seg checkpoint' in _error(capsys)


def test_bad_numbers_are_usage_errors(checkpoint, tmp_path, capsys):
    for extra in (['--num-selected', '0'], ['--opacity', '2']):
        with pytest.raises(SystemExit) as e:
            main(['infer', 'x.png', '--vocab', 'cat', '--checkpoint', checkpoint, *extra])
        assert e.value.code == 2
    assert 'expected a number in [0, 1]' in capsys.readouterr().err


def test_skip_bad_segments_the_rest_and_reports(checkpoint, tmp_path, capsys):
    photos = tmp_path / 'photos'
    photos.mkdir()
    write_image(photos / 'a.png', seed=1)
    (photos / 'b.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    write_image(photos / 'c.png', seed=3)
    argv = ['infer', str(photos), '--vocab', 'cat, sky', '--checkpoint', checkpoint, '--config', TINY_CONFIG,
            '--out', str(tmp_path / 'out')]
    assert main(argv) == 1  # without --skip-bad: stops at b.jpg, on its own line after the progress bar
    err = capsys.readouterr().err
    assert f'\nerrseg infer: error: {photos / "b.jpg"}: cannot be decoded' in err
    assert main(argv + ['--skip-bad']) == 1
    captured = capsys.readouterr()
    assert '2 image(s), 2 classes' in captured.out
    assert f'errseg infer: skipped: {photos / "b.jpg"}: cannot be decoded' in captured.err
    assert captured.err.strip().endswith('errseg infer: 1 image(s) skipped')
    assert sorted(p.name for p in (tmp_path / 'out').glob('*_labels.png')) == ['a_labels.png', 'c_labels.png']
    assert main(argv + ['--skip-bad', '--skipped-ok']) == 0
