"""The benchmark registry, its shipped tables, and the configs that follow it."""
import pytest
from mmengine.config import Config

from conftest import CONFIGS
from mmseg_errseg.datasets import BENCHMARKS, EVAL_BENCHMARKS, get_benchmark
from mmseg_errseg.datasets.prepare.releases import (COCO_STUFF171_RAW_IDS, PASCAL_CONTEXT_VAL_IDS, PC59_CONTEXT_IDS,
                                                    ade847_ade20k_ids)
from mmseg_errseg.vocabularies import load_vocabulary

# official eval.sh (SAMPLE_CLASSES_NUM) and the paper (Sec. 4.3.2)
OFFICIAL_P = dict(ade847=48, pc459=48, ade150=32, pc59=24, voc20=16, coco_stuff171=32)


def test_registry_facts():
    assert EVAL_BENCHMARKS == ('ade847', 'pc459', 'ade150', 'pc59', 'voc20')
    for name, b in BENCHMARKS.items():
        assert b.num_selected == OFFICIAL_P[name]
        assert len(load_vocabulary(name)) == b.num_classes == len(b.classes())
        assert b.ignore_index >= b.num_classes  # never a class id
        assert (b.label_bits == 16) == (b.num_classes > 255) == (b.seg_map_suffix == '.tif')
    assert get_benchmark('A-847') is BENCHMARKS['ade847'] and get_benchmark('PAS-20').name == 'voc20'
    with pytest.raises(ValueError, match="unknown dataset 'ade20'.*ade847, pc459"):
        get_benchmark('ade20')


def test_shipped_id_tables():
    ids = ade847_ade20k_ids()
    assert len(set(ids)) == 847 and ids[:3] == [2978, 312, 2420] and ids[-1] == 3148
    pc459 = load_vocabulary('pc459')
    names = [pc459[i - 1] for i in PC59_CONTEXT_IDS]  # labels.txt ids are 1-based
    assert names == [n if n != 'diningtable' else 'table' for n in load_vocabulary('pc59')]
    with open(PASCAL_CONTEXT_VAL_IDS) as f:
        assert len({line.strip() for line in f if line.strip()}) == 5104
    assert len(COCO_STUFF171_RAW_IDS) == 171 and COCO_STUFF171_RAW_IDS[11] == 12  # stop sign


@pytest.mark.parametrize('name', list(BENCHMARKS))
def test_dataset_base_configs_follow_the_registry(name):
    cfg = Config.fromfile(str(CONFIGS / '_base_' / 'datasets' / f'{name}.py'))
    b = get_benchmark(name)
    assert cfg.test_dataloader.to_dict() == b.test_dataloader('data/')
    assert cfg.test_evaluator.to_dict() == b.evaluator()
    assert (cfg.vocabulary, cfg.test_num_selected) == (b.vocabulary, b.num_selected)


def test_training_configs():
    from mmseg_errseg.datasets import train_pipeline
    for size in 'bl':
        cfg = Config.fromfile(str(CONFIGS / 'errseg' / f'errseg_convnext-{size}_1xb4-80k_coco-stuff171-640x640.py'))
        assert cfg.train_dataloader.batch_size == 4 and cfg.train_cfg.max_iters == 80000
        assert cfg.train_dataloader.dataset.to_dict() == get_benchmark('coco_stuff171').dataset_cfg(
            'data/', 'train', train_pipeline())
        assert cfg.model.decode_head.num_selected == 32 and cfg.model.crop_size == (640, 640)
        assert {'type': 'VocabularyHook'} in cfg.custom_hooks


@pytest.mark.parametrize('size,crop', [('b', 640), ('l', 768)])
@pytest.mark.parametrize('name', EVAL_BENCHMARKS)
def test_eval_configs(name, size, crop):
    cfg = Config.fromfile(str(CONFIGS / 'errseg' / f'errseg_convnext-{size}_eval-{name}-{crop}x{crop}.py'))
    b = get_benchmark(name)
    assert cfg.model.test_cfg.num_selected == b.num_selected and cfg.model.vocabulary == name
    assert cfg.model.crop_size == (crop, crop) and cfg.model.data_preprocessor.size == (crop, crop)
    assert cfg.test_dataloader.to_dict() == b.test_dataloader('data/')
    assert cfg.test_evaluator.ignore_index == b.ignore_index
    assert {'type': 'VocabularyHook'} in cfg.custom_hooks



def test_training_config_trains_with_the_tiny_model(tmp_path):
    from mmengine.runner import Runner

    from mmseg_errseg.datasets import make_dataset
    make_dataset('coco_stuff171', str(tmp_path / 'data'), num_images=2, size=(48, 64))
    cfg = Config.fromfile(str(CONFIGS / 'errseg' / 'errseg_convnext-b_1xb4-80k_coco-stuff171-640x640.py'))
    tiny = Config.fromfile(str(CONFIGS / '_base_' / 'models' / 'errseg_tiny.py')).model.to_dict()
    del tiny['vocabulary'], tiny['test_cfg']
    cfg.merge_from_dict({'model': tiny})
    cfg.model.backbone.pretrained = None
    for key in ('train_dataloader', 'val_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False)
        cfg[key].dataset.data_root = str(tmp_path / 'data')
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=2)]
    cfg.optim_wrapper.type = 'OptimWrapper'  # AMP needs a GPU
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2 and runner.model.vocabulary == list(get_benchmark('coco_stuff171').classes())
    assert 0 <= runner.message_hub.get_scalar('val/mIoU').current() <= 100


def test_the_command_lines_name_every_benchmark():
    """``errseg test`` and ``errseg prepare`` list the benchmarks without importing them (--help stays fast)."""
    from mmseg_errseg.cli.prepare import _RAW
    from mmseg_errseg.cli.test import DATASETS
    assert list(DATASETS) == list(BENCHMARKS) == list(_RAW)
