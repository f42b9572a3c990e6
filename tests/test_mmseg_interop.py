"""MMSeg's own APIs on our models and configs: init_model / inference_model, show_result_pyplot, MMSegInferencer."""
from pathlib import Path

import numpy as np
import pytest
from conftest import CONFIGS, TINY_VOCAB
from infer_testing import TINY_CONFIG, save_tiny_checkpoint, write_image
from mmengine.config import Config
from mmseg.apis import MMSegInferencer, inference_model, init_model, show_result_pyplot

from mmseg_errseg.cli import main

#: the experiment configs (data pipelines included: what MMSeg's APIs read)
CONFIGS_WITH_DATA = sorted(str(p.relative_to(CONFIGS)) for p in (CONFIGS / 'errseg').rglob('*.py')
                           if '_base_' not in p.parts)
#: the configs without data: models, and the per-size eval bases (MMSeg's APIs need a test pipeline:
#: errseg infer falls back to load + pack)
MODEL_CONFIGS = sorted(str(p.relative_to(CONFIGS)) for folder in (CONFIGS / '_base_' / 'models',
                                                                  CONFIGS / 'errseg' / '_base_')
                       for p in folder.glob('*.py'))
TINY_EXPERIMENT = str(CONFIGS / 'errseg' / 'errseg_tiny_1xb2-6it_coco-stuff171-128x128.py')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return str(save_tiny_checkpoint(tmp_path_factory.mktemp('interop') / 'tiny.pth'))


@pytest.fixture(scope='module')
def image(tmp_path_factory):
    path = tmp_path_factory.mktemp('img') / 'img.png'
    write_image(path)
    return str(path)


def _tiny(config: str, folder: Path) -> str:
    """The config with the tiny model swapped in (its pipelines kept), written to ``folder``."""
    cfg = Config.fromfile(str(CONFIGS / config))
    cfg.model = Config.fromfile(TINY_CONFIG).model
    cfg.model.backbone.pretrained = None
    cfg_file = folder / 'cfg.py'
    cfg.dump(str(cfg_file))
    return str(cfg_file)


def test_every_shipped_config_is_tested():
    assert len(CONFIGS_WITH_DATA) + len(MODEL_CONFIGS) == len(list(CONFIGS.rglob('*.py'))) - len(
        list((CONFIGS / '_base_').rglob('*.py'))) + len(list((CONFIGS / '_base_' / 'models').glob('*.py')))
    assert 'errseg/errseg_convnext-b_eval-ade847-640x640.py' in CONFIGS_WITH_DATA


@pytest.mark.parametrize('config', CONFIGS_WITH_DATA)
def test_config_pipelines_run_inference(config, checkpoint, image, tmp_path, capsys):
    """Each config's test pipeline works with inference_model, MMSegInferencer and errseg infer
    (the A-847 / PC-459 configs' LoadFullRangeAnnotations is skipped when there are no labels)."""
    cfg_file = _tiny(config, tmp_path)
    model = init_model(cfg_file, checkpoint, device='cpu')
    result = inference_model(model, image)
    assert result.pred_sem_seg.data.shape[-2:] == (40, 56)
    labels = MMSegInferencer(cfg_file, checkpoint, device='cpu')(image)['predictions']
    assert labels.shape == (40, 56)
    _errseg_infer(cfg_file, checkpoint, image, tmp_path, capsys)


@pytest.mark.parametrize('config', MODEL_CONFIGS)
def test_model_configs_run_errseg_infer(config, checkpoint, image, tmp_path, capsys):
    _errseg_infer(_tiny(config, tmp_path), checkpoint, image, tmp_path, capsys)


def _errseg_infer(cfg_file, checkpoint, image, tmp_path, capsys):
    assert main(['infer', image, '--vocab', 'cat, sky', '--checkpoint', checkpoint, '--config', cfg_file,
                 '--out', str(tmp_path / 'out')]) == 0, capsys.readouterr().err
    assert (tmp_path / 'out' / 'img_labels.png').is_file()


def test_setting_the_vocabulary_keeps_a_complete_dataset_meta(checkpoint, image):
    model = init_model(TINY_EXPERIMENT, checkpoint, device='cpu')
    model.vocabulary = ['cat', 'sky', 'grass']
    meta = model.dataset_meta
    assert meta['classes'] == ('cat', 'sky', 'grass') and len(meta['palette']) == 3
    result = inference_model(model, image)
    vis = show_result_pyplot(model, image, result, show=False, with_labels=False)  # raised KeyError 'palette'
    assert vis.shape[:2] == (40, 56)
    model.dataset_meta = dict(classes=('a', 'b'), palette=[[1, 2, 3], [4, 5, 6]])
    assert model.dataset_meta['palette'] == [[1, 2, 3], [4, 5, 6]]  # a given palette is kept


def test_mmseg_inferencer_segments_with_the_given_classes(checkpoint, image):
    inferencer = MMSegInferencer(TINY_EXPERIMENT, checkpoint, classes=['road', 'tree'], device='cpu')
    assert inferencer.model.vocabulary == ['road', 'tree']
    assert inferencer.model.dataset_meta['classes'] == ('road', 'tree')
    labels = inferencer(image)['predictions']
    assert set(np.unique(labels)) <= {0, 1}
    default = MMSegInferencer(TINY_EXPERIMENT, checkpoint, device='cpu')  # the checkpoint's classes
    assert default.model.vocabulary == TINY_VOCAB
    with pytest.raises(ValueError, match='duplicate class names'):
        MMSegInferencer(TINY_EXPERIMENT, checkpoint, classes=['Cup', 'cup'], device='cpu')
