"""Shared fixtures: tiny ERR-Seg models built from the repository's configs."""
from pathlib import Path

import pytest
import torch

import mmseg_errseg  # noqa: F401  (compat shims, registries)

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs'
GOLDEN = REPO / 'tests' / 'data' / 'golden'
TINY_VOCAB = ['cat', 'dog', 'sky, heaven', 'grass', 'road', 'tree', 'car', 'person']


def build_model(config: str = '_base_/models/errseg_tiny.py', **overrides):
    """Build the model of a config (relative to configs/), with ``model.*`` overrides."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(str(CONFIGS / config))
    if overrides:
        cfg.merge_from_dict({f'model.{k}': v for k, v in overrides.items()})
    init_default_scope('mmseg')
    return MODELS.build(cfg.model)


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    return build_model(vocabulary=TINY_VOCAB)


@pytest.fixture(autouse=True)
def _seed_and_threads():
    torch.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _records_of_a_committed_tree(monkeypatch):
    """Records made in a test are stamped as of a clean tree, whatever the developer's git status."""
    from mmseg_errseg.harness import fingerprint
    monkeypatch.setattr(fingerprint, '_dirty', lambda root, entries: False)
