"""Registered datasets, 16-bit loading and synthetic data, through MMSeg's dataloader."""
import filecmp
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from PIL import Image

from conftest import CONFIGS
from mmseg_errseg.datasets import BENCHMARKS, LoadFullRangeAnnotations, get_benchmark, load_split, make_dataset


@pytest.mark.parametrize('name', list(BENCHMARKS))
def test_every_dataset_loads_through_mmseg_dataloader(tmp_path, name):
    init_default_scope('mmseg')
    written = make_dataset(name, str(tmp_path), num_images=2, size=(40, 56), seed=3)
    cfg = Config.fromfile(str(CONFIGS / '_base_' / 'datasets' / f'{name}.py'))
    loader_cfg = cfg.test_dataloader.to_dict()
    loader_cfg.update(num_workers=0, persistent_workers=False)
    loader_cfg['dataset']['data_root'] = str(tmp_path)
    loader = Runner.build_dataloader(loader_cfg)
    b = get_benchmark(name)
    assert loader.dataset.metainfo['classes'] == b.classes()
    assert len(loader.dataset.metainfo['palette']) == b.num_classes
    for batch, (img_path, seg_path) in zip(loader, written['val']):
        sample = batch['data_samples'][0]
        gt = sample.gt_sem_seg.data[0].numpy()
        stored = np.asarray(Image.open(seg_path))
        np.testing.assert_array_equal(gt, stored)  # full range, original size
        assert sample.ori_shape == stored.shape
        assert min(batch['inputs'][0].shape[1:]) == 800  # official test resize: shortest edge 800
        valid = np.unique(gt[gt != b.ignore_index])
        assert (gt == b.ignore_index).any() and valid.max() < b.num_classes
        if b.label_bits == 16:
            assert (valid > 255).any() and 255 in valid  # would be destroyed by a uint8 cast


def test_train_split_pipeline(tmp_path):
    init_default_scope('mmseg')
    make_dataset('coco_stuff171', str(tmp_path), num_images=2, splits=['train'])
    cfg = Config.fromfile(str(CONFIGS / 'errseg' / 'errseg_convnext-b_1xb4-80k_coco-stuff171-640x640.py'))
    loader_cfg = cfg.train_dataloader.to_dict()
    loader_cfg.update(num_workers=0, persistent_workers=False, batch_size=2)
    loader_cfg['dataset']['data_root'] = str(tmp_path)
    batch = next(iter(Runner.build_dataloader(loader_cfg, seed=0)))
    assert [tuple(x.shape) for x in batch['inputs']] == [(3, 640, 640)] * 2  # resize 640 + 640 crop
    gt = batch['data_samples'][0].gt_sem_seg.data
    assert gt.shape == (1, 640, 640) and set(gt.unique().tolist()) <= set(range(171)) | {255}


def test_synthetic_is_deterministic(tmp_path):
    a = make_dataset('pc459', str(tmp_path / 'a'), num_images=2, seed=1)['val']
    b = make_dataset('pc459', str(tmp_path / 'b'), num_images=2, seed=1)['val']
    c = make_dataset('pc459', str(tmp_path / 'c'), num_images=2, seed=2)['val']
    assert all(filecmp.cmp(x, y, shallow=False) for pa, pb in zip(a, b) for x, y in zip(pa, pb))
    assert not filecmp.cmp(a[0][1], c[0][1], shallow=False)
    label = np.asarray(Image.open(a[0][1]))
    assert label.dtype == np.uint16 and a[0][1].endswith('.tif')


def test_missing_data_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"data root '.*nowhere' does not exist.*errseg prepare ade847"):
        load_split('ade847', str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match=r"ADE20K847Dataset: label-map folder .*annotations_detectron2/"
                       r"validation' does not exist; prepare it with `errseg prepare ade847"):
        load_split('ade847', str(tmp_path))
    make_dataset('ade150', str(tmp_path / 'data'), num_images=1)
    with pytest.raises(FileNotFoundError, match=r"the data root must be the folder that contains "
                       r"ADEChallengeData2016/ \('.*data'\), not ADEChallengeData2016/ itself"):
        load_split('ade150', str(tmp_path / 'data' / 'ADEChallengeData2016'))
    written = make_dataset('voc20', str(tmp_path), num_images=3)['val']
    os.remove(written[1][0])
    with pytest.raises(FileNotFoundError, match=r'1 of 3 label maps .* have no image in .*JPEGImages'):
        load_split('voc20', str(tmp_path))
    seg_dir = osp.dirname(written[0][1])
    for f in os.listdir(seg_dir):
        os.remove(osp.join(seg_dir, f))
    with pytest.raises(FileNotFoundError, match=r'no \*\.png label maps in'):
        load_split('voc20', str(tmp_path))


def test_full_range_loading_options(tmp_path):
    path = str(tmp_path / 'x.tif')
    Image.fromarray(np.array([[0, 1, 300, 65535]], dtype=np.uint16)).save(path)
    t = LoadFullRangeAnnotations()
    out = t(dict(seg_map_path=path, seg_fields=[], reduce_zero_label=False, label_map=None))
    np.testing.assert_array_equal(out['gt_seg_map'], [[0, 1, 300, 65535]])
    out = t(dict(seg_map_path=path, seg_fields=[], reduce_zero_label=True, label_map=None))
    np.testing.assert_array_equal(out['gt_seg_map'], [[65535, 0, 299, 65535]])
    out = t(dict(seg_map_path=path, seg_fields=[], reduce_zero_label=False, label_map={300: 2, 1: 0}))
    np.testing.assert_array_equal(out['gt_seg_map'], [[0, 0, 2, 65535]])
