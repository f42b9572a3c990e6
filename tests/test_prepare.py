"""errseg prepare: fake public releases in their raw layouts -> the prepared layout, checked pixel by pixel."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from PIL import Image

import fake_releases
from mmseg_errseg.cli import main
from mmseg_errseg.datasets import get_benchmark, load_split, read_label_map
from mmseg_errseg.datasets.prepare import prepare


def _label(root, name, stem):
    b = get_benchmark(name)
    return read_label_map(osp.join(root, b.split('val').seg_dir, stem + b.seg_map_suffix))


def test_coco_stuff171_both_splits_and_idempotent(tmp_path, capsys):
    src, dst = str(tmp_path / 'coco-stuff'), str(tmp_path / 'data')
    expected = fake_releases.coco_stuff(src)
    report = prepare('coco_stuff171', src, dst)
    b = get_benchmark('coco_stuff171')
    for (raw_split, stem), exp in expected.items():
        split = 'train' if raw_split == 'train2017' else 'val'
        s = b.split(split)
        label = read_label_map(osp.join(dst, s.seg_dir, stem + '.png'))
        assert label.dtype == np.uint8
        np.testing.assert_array_equal(label, exp)
        img = osp.join(dst, s.img_dir, stem + '.jpg')
        assert osp.islink(img) and osp.samefile(img, osp.join(src, 'images', raw_split, stem + '.jpg'))
    train, val = report.splits
    assert (train.images, train.written, val.images) == (2, 2, 1)
    assert (val.label_min, val.label_max) == (0, 170)
    assert val.unmapped_pixels == 2 * 16  # raw 11 and 182: labelled, but not COCO-Stuff-171 classes
    mtime = os.path.getmtime(osp.join(dst, b.split('val').seg_dir, '000000000000.png'))
    again = prepare('coco_stuff171', src, dst)  # idempotent: nothing rewritten, everything checked
    assert [(s.written, s.kept) for s in again.splits] == [(0, 2), (0, 1)]
    assert os.path.getmtime(osp.join(dst, b.split('val').seg_dir, '000000000000.png')) == mtime
    assert len(load_split('coco_stuff171', dst, 'train')) == 2


def test_ade150_in_place(tmp_path):
    data = tmp_path / 'data'
    src = str(data / 'ADEChallengeData2016')
    expected = fake_releases.ade150(src)
    prepare('ade150', src, str(data))  # in place, as the official script: images stay where they are
    for stem, exp in expected.items():
        np.testing.assert_array_equal(_label(str(data), 'ade150', stem), exp)
    assert not any(osp.islink(osp.join(src, 'images', 'validation', f))
                   for f in os.listdir(osp.join(src, 'images', 'validation')))
    assert len(load_split('ade150', str(data))) == 2


def test_ade847_ids_split_resize_and_16bit(tmp_path):
    root, expected = fake_releases.ade847(str(tmp_path / 'raw'))
    dst = str(tmp_path / 'data')
    report = prepare('ade847', root, dst, nproc=2)
    b = get_benchmark('ade847')
    files = sorted(os.listdir(osp.join(dst, b.split('val').seg_dir)))
    assert files == ['ADE_val_00000001.tif', 'ADE_val_00000002.tif']  # the training image is left out
    small, _ = expected['ADE_val_00000001']
    label = _label(dst, 'ade847', 'ADE_val_00000001')
    assert label.dtype == np.uint16
    np.testing.assert_array_equal(label, small)
    big = _label(dst, 'ade847', 'ADE_val_00000002')
    img = Image.open(osp.join(dst, b.split('val').img_dir, 'ADE_val_00000002.jpg'))
    assert big.shape == (512, 1024) and img.size == (1024, 512)  # shorter side 514 > 512: resized
    np.testing.assert_array_equal(big[128::256, 128::256], small)  # block centres keep their labels
    objects = np.array([[2978, 312, 3148, 1223], [3059, 5, 0, 2978]], np.int32).repeat(257, 0).repeat(257, 1)
    resized = cv2.resize(objects, (1024, 512), interpolation=cv2.INTER_NEAREST)
    # object 5 is labelled but not an A-847 class (object 0 is unlabelled)
    assert report.splits[0].unmapped_pixels == 1 + np.count_nonzero(resized == 5)


def test_pc459_and_pc59_from_json_and_mat(tmp_path):
    src, dst = str(tmp_path / 'VOC2010'), str(tmp_path / 'data')
    exp459, exp59 = fake_releases.pascal_context(src)
    ids = osp.join(src, 'val_ids.txt')
    prepare('pc459', src, dst, ids=ids)
    for stem, exp in exp459.items():
        label = _label(dst, 'pc459', stem)
        assert label.dtype == np.uint16
        np.testing.assert_array_equal(label, exp)
    report = prepare('pc59', src, dst)  # trainval_merged.json present: the official route
    assert 'trainval_merged.json' in report.notes[0]
    for stem, exp in exp59.items():
        np.testing.assert_array_equal(_label(dst, 'pc59', stem), exp)
    assert sorted(os.listdir(osp.join(dst, get_benchmark('pc59').split('val').seg_dir))) == \
        ['2008_000002.png', '2008_000003.png']  # the "train" phase image is left out
    dst2 = str(tmp_path / 'data2')
    report = prepare('pc59', src, dst2, ids=ids)  # an id list: the .mat route
    assert 'trainval/*.mat' in report.notes[0]
    for stem, exp in exp59.items():
        np.testing.assert_array_equal(_label(dst2, 'pc59', stem), exp)


@pytest.mark.parametrize('folder', ['SegmentationClass', 'SegmentationClassAug'])
def test_voc20(tmp_path, folder):
    src, dst = str(tmp_path / 'VOC2012'), str(tmp_path / 'data')
    expected = fake_releases.voc2012(src, folder=folder)
    prepare('voc20', src, dst, link='copy')
    for stem, exp in expected.items():
        np.testing.assert_array_equal(_label(dst, 'voc20', stem), exp)
        img = osp.join(dst, get_benchmark('voc20').split('val').img_dir, stem + '.jpg')
        assert osp.isfile(img) and not osp.islink(img)
    assert len(load_split('voc20', dst)) == 2  # the training image is not part of the split


def test_interrupted_run_resumes(tmp_path):
    src, dst = str(tmp_path / 'VOC2012'), str(tmp_path / 'data')
    expected = fake_releases.voc2012(src)
    prepare('voc20', src, dst)
    seg_dir = osp.join(dst, get_benchmark('voc20').split('val').seg_dir)
    os.remove(osp.join(seg_dir, '2007_000042.png'))  # as if interrupted before this file
    report = prepare('voc20', src, dst)
    assert (report.splits[0].written, report.splits[0].kept) == (1, 1)
    np.testing.assert_array_equal(_label(dst, 'voc20', '2007_000042'), expected['2007_000042'])
    assert not [f for f in os.listdir(seg_dir) if not f.endswith('.png')]  # no temporary files left


def test_malformed_label_is_named(tmp_path):
    src, dst = str(tmp_path / 'VOC2012'), str(tmp_path / 'data')
    fake_releases.voc2012(src)
    bad = osp.join(src, 'SegmentationClass', '2007_000033.png')
    Image.fromarray(np.full((4, 4), 42, np.uint8)).save(bad)
    with pytest.raises(ValueError, match=r'2007_000033\.png: malformed label map, values \[42\]'):
        prepare('voc20', src, dst)


def test_missing_pieces_are_named(tmp_path, capsys):
    src, dst = str(tmp_path / 'VOC2010'), str(tmp_path / 'data')
    fake_releases.pascal_context(src)
    os.remove(osp.join(src, 'trainval', '2008_000003.mat'))
    with pytest.raises(FileNotFoundError, match=r'1 of 4 .*missing, e\.g\. .*2008_000003\.mat'):
        prepare('pc459', src, dst, ids=osp.join(src, 'val_ids.txt'))
    # the CLI: one line, exit status 1
    assert main(['prepare', 'ade847', '--src', str(tmp_path / 'nowhere'), '--dst', dst]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'does not exist' in err[0]
    os.makedirs(tmp_path / 'ADE20K_2021_17_01')
    assert main(['prepare', 'ade847', '--src', str(tmp_path / 'ADE20K_2021_17_01'), '--dst', dst]) == 1
    assert "lacks 'index_ade20k.pkl'" in capsys.readouterr().err
    assert main(['prepare', 'ade847', '--src', src, '--dst', dst, '--ids', 'x.txt']) == 1
    assert '--ids do not apply' in capsys.readouterr().err


def test_cli_prints_report(tmp_path, capsys):
    src, dst = str(tmp_path / 'VOC2012'), str(tmp_path / 'data')
    fake_releases.voc2012(src)
    assert main(['prepare', 'voc20', '--src', src, '--dst', dst]) == 0
    out = capsys.readouterr().out
    assert 'voc20: prepared under' in out and '2 images (the full public release has 1449)' in out
    assert 'labels 0..19' in out


def test_corrupt_source_label_is_named(tmp_path, capsys):
    src, dst = str(tmp_path / 'VOC2012'), str(tmp_path / 'data')
    fake_releases.voc2012(src)
    bad = osp.join(src, 'SegmentationClass', '2007_000033.png')
    with open(bad, 'wb') as f:
        f.write(b'\x89PNG not really')
    assert main(['prepare', 'voc20', '--src', src, '--dst', dst]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f'errseg prepare: error: {bad}: cannot be converted') and 'BytesIO' not in err[-1]


def test_existing_outputs_are_checked_not_trusted(tmp_path, capsys):
    src, dst = str(tmp_path / 'VOC2012'), str(tmp_path / 'data')
    expected = fake_releases.voc2012(src)
    prepare('voc20', src, dst)
    label = osp.join(dst, get_benchmark('voc20').split('val').seg_dir, '2007_000033.png')
    good = open(label, 'rb').read()
    with open(label, 'wb') as f:  # truncated
        f.write(good[:len(good) // 2])
    assert main(['prepare', 'voc20', '--src', src, '--dst', dst]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f'errseg prepare: error: {label} (or its image): an existing output cannot be read')
    assert err.endswith('rerun with --overwrite')
    wrong = expected['2007_000033'].copy()
    wrong[0, 0] = 0 if wrong[0, 0] else 1  # valid labels, wrong map
    Image.fromarray(wrong).save(label)
    with pytest.raises(ValueError, match=r'2007_000033\.png exists but differs from the conversion of '
                                         r'2007_000033: rerun with --overwrite'):
        prepare('voc20', src, dst)
    report = prepare('voc20', src, dst, overwrite=True)
    assert report.splits[0].written == 2
    np.testing.assert_array_equal(_label(dst, 'voc20', '2007_000033'), expected['2007_000033'])


def test_prepared_files_get_the_umask_permissions(tmp_path):
    src, dst = str(tmp_path / 'VOC2012'), str(tmp_path / 'data')
    fake_releases.voc2012(src)
    old = os.umask(0o002)
    try:
        prepare('voc20', src, dst)
    finally:
        os.umask(old)
    label = osp.join(dst, get_benchmark('voc20').split('val').seg_dir, '2007_000033.png')
    assert os.stat(label).st_mode & 0o777 == 0o664
