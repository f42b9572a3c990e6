"""pytest-benchmark suite of ERR-Seg's hot paths (not part of the default test run).

Results are stored in ``benchmarks/results`` unless ``--benchmark-storage`` is
given, so ``--benchmark-save NAME`` / ``--benchmark-compare`` work from the
repository root without extra options.
"""
from pathlib import Path

import pytest
import torch

import mmseg_errseg  # noqa: F401  (compat shims, registries)

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / 'results'
_DEFAULT_STORAGE = 'file://./.benchmarks'


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # before pytest-benchmark opens its storage
    if getattr(config.option, 'benchmark_storage', None) == _DEFAULT_STORAGE:
        config.option.benchmark_storage = f'file://{RESULTS}'


def build(config: str, **overrides):
    """Build the model of a config (relative to configs/), random weights, eval mode."""
    from mmseg_errseg.profiling import build_segmentor, load_model_config
    cfg = load_model_config(str(REPO / 'configs' / config))
    model = build_segmentor(cfg, overrides or None)
    return model


@pytest.fixture(autouse=True)
def _no_grad_seeded():
    torch.manual_seed(0)
    with torch.inference_mode():
        yield


def pytest_benchmark_update_commit_info(config, commit_info):
    commit_info['project'] = 'mmseg-errseg'  # not the checkout directory's name
