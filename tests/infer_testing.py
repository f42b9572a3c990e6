"""Helpers of the inference tests: a tiny ERR-Seg checkpoint and generated images."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from conftest import CONFIGS, TINY_VOCAB, build_model

__all__ = ['TINY_CONFIG', 'TINY_OPTIONS', 'save_tiny_checkpoint', 'write_image']

TINY_CONFIG = str(CONFIGS / '_base_' / 'models' / 'errseg_tiny.py')
#: Without a config the base (ERR-Seg-B) config is used, at 640x640: run the tiny weights at 64x64.
TINY_OPTIONS = {'model.crop_size': (64, 64)}
_HEAD_KEYS = ('dim', 'cost_embed_dim', 'guidance_inter_dim', 'decoder_dims', 'decoder_guidance_dims')


def save_tiny_checkpoint(path: Path) -> Path:
    """The tiny model's weights with a meta like ``errseg convert-official`` writes."""
    from mmengine.config import Config
    torch.manual_seed(0)
    model = build_model(vocabulary=TINY_VOCAB)
    head = Config.fromfile(TINY_CONFIG).model.decode_head
    meta = dict(errseg=dict(clip_model_name='errseg_tiny_convnext',
                            head_config={k: head[k] for k in _HEAD_KEYS}),
                dataset_meta=dict(classes=tuple(TINY_VOCAB)))
    torch.save(dict(meta=meta, state_dict=model.state_dict()), path)
    return path


def write_image(path: Path, height: int = 40, width: int = 56, seed: int = 0) -> np.ndarray:
    """A random BGR image, saved to ``path``; returns it."""
    image = np.random.RandomState(seed).randint(0, 256, (height, width, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), image)
    return image


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A tiny ERR-Seg checkpoint, once per test module."""
    return str(save_tiny_checkpoint(tmp_path_factory.mktemp('cli') / 'tiny.pth'))


def one_line_error(capsys) -> str:
    """The one line a command printed on stderr (no traceback)."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]
