"""Every config under configs/ builds and runs a forward (full-size ones with the tiny backbone); the
ablation configs are exactly what the experiment registry generates."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from conftest import CONFIGS
from mmseg_errseg.harness import EXPERIMENTS
from mmseg_errseg.harness.ablation_configs import ablation_configs

FILES = sorted(p.relative_to(CONFIGS).as_posix() for p in CONFIGS.rglob('*.py'))


def _difference(a: dict, b: dict) -> dict:
    """The keys of ``a`` that differ from ``b`` (nested)."""
    out = {}
    for k, v in a.items():
        if isinstance(v, dict) and isinstance(b.get(k), dict):
            sub = _difference(v, b[k])
            if sub:
                out[k] = sub
        elif b.get(k) != v:
            out[k] = v
    return out


#: What makes ERR-Seg-B tiny (the tiny config is ERR-Seg-B with these); ERR-Seg-L differs from B only in keys
#: these override too, so every full-size config keeps its own switches on the tiny backbone.
TINY = _difference(Config.fromfile(str(CONFIGS / '_base_/models/errseg_tiny.py')).model.to_dict(),
                   Config.fromfile(str(CONFIGS / '_base_/models/errseg_convnext-b.py')).model.to_dict())
TINY['backbone']['pretrained'] = None
SWITCHES = {k for e in EXPERIMENTS.values() for v in e.variants for k in v.train}


def test_the_committed_ablation_configs_are_what_the_registry_generates():
    folder = CONFIGS / 'errseg' / 'ablations'
    committed = {p.name: p.read_text(encoding='utf-8') for p in folder.glob('*.py')}
    assert committed == ablation_configs(), 'regenerate: python -m mmseg_errseg.harness.ablation_configs'


def test_an_ablation_config_is_its_base_plus_the_switches_only():
    name = 'errseg-no-class-removal_convnext-b_1xb4-80k_coco-stuff171-640x640.py'
    cfg = Config.fromfile(str(CONFIGS / 'errseg' / 'ablations' / name)).to_dict()
    base = Config.fromfile(str(CONFIGS / 'errseg' / 'errseg_convnext-b_1xb4-80k_coco-stuff171-640x640.py')).to_dict()
    assert _difference(cfg, base) == {'model': {'decode_head': {'class_removal': False}}}
    for path in (CONFIGS / 'errseg' / 'ablations').glob('*.py'):
        changed = _difference(Config.fromfile(str(path)).model.to_dict(), Config.fromfile(
            str(CONFIGS / 'errseg' / ('errseg_' + path.name.split('_', 1)[1].replace('-384x384', '-640x640'))))
            .model.to_dict())
        keys = {f'{part}.{k}' if isinstance(sub, dict) else part for part, sub in changed.items()
                for k in (sub if isinstance(sub, dict) else [None])}
        assert keys and keys <= SWITCHES | {'crop_size', 'data_preprocessor.size'}, (path.name, keys)


@pytest.mark.parametrize('name', FILES)
def test_every_config_builds_and_runs_a_forward(name):
    cfg = Config.fromfile(str(CONFIGS / name))
    if 'model' not in cfg:  # datasets, schedules, runtime: parts that load (and are built with a model)
        assert len(cfg) > 0, name
        return
    if cfg.model.backbone.model_name != 'errseg_tiny_convnext':  # full size: the same config, tiny backbone
        cfg.merge_from_dict({'model': TINY})
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model).eval()
    size = cfg.model.crop_size
    with torch.no_grad():
        out = model.predict(torch.rand(1, 3, *size) * 255)[0]
    assert out.pred_sem_seg.data.shape == (1, *size)
    assert int(out.pred_sem_seg.data.max()) < model.num_classes == len(model.vocabulary)
