"""ERR-Seg checkpoints: recognise them, load them checked, and build their model without a config.

Our checkpoints hold ``backbone.clip.*`` (CLIP) and ``decode_head.*`` (the head); mmengine's ``Runner``
saves the config (``meta['cfg']``), ``errseg convert-official`` the architecture (``meta['errseg']``).
"""
from pathlib import Path
from typing import Mapping

import torch
from mmengine.config import Config

from ..converters.official import CLIP_PREFIX, compare_state_dict
from ..utils import read_checkpoint

__all__ = ['NotAnERRSegCheckpointError', 'REQUIRED_PREFIXES', 'load_errseg_checkpoint', 'load_checked_state',
           'config_from_checkpoint']

#: Every ERR-Seg state dict has keys starting with each of these.
REQUIRED_PREFIXES = ('backbone.clip.', 'decode_head.')


class NotAnERRSegCheckpointError(ValueError):
    """The file is not a checkpoint of this package's ERR-Seg model."""


def load_errseg_checkpoint(path: str) -> dict:
    """A local checkpoint file whose ``state_dict`` is checked to hold ERR-Seg weights (keys without
    DataParallel's ``module.``); :class:`NotAnERRSegCheckpointError` if it does not, ``FileNotFoundError`` and
    ``ValueError`` (unreadable) as :func:`~mmseg_errseg.utils.read_checkpoint`."""
    checkpoint = read_checkpoint(str(path))
    if not isinstance(checkpoint, dict):
        raise NotAnERRSegCheckpointError(f'{path} is not an ERR-Seg checkpoint: it holds a '
                                         f'{type(checkpoint).__name__}, expected a dict with a state_dict')
    state = next((checkpoint[k] for k in ('state_dict', 'model') if isinstance(checkpoint.get(k), Mapping)), checkpoint)
    state = {k[7:] if isinstance(k, str) and k.startswith('module.') else k: v for k, v in state.items()}
    if any(isinstance(k, str) and k.startswith(CLIP_PREFIX) for k in state):
        raise NotAnERRSegCheckpointError(f'{path} is an official ERR-Seg (detectron2) checkpoint: convert it '
                                         f'first with `errseg convert-official {path} OUT.pth`')
    if not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise NotAnERRSegCheckpointError(f'{path} is not an ERR-Seg checkpoint: expected a state dict of tensors')
    if not all(any(k.startswith(p) for k in state) for p in REQUIRED_PREFIXES):
        raise NotAnERRSegCheckpointError(
            f'{path} is not an ERR-Seg checkpoint: expected state_dict keys starting with '
            f'{" and ".join(repr(p + "*") for p in REQUIRED_PREFIXES)} (written by `errseg convert-official` or by '
            f'training this package\'s ERRSeg), found {len(state)} keys like {", ".join(list(state)[:3])}')
    return dict(checkpoint, state_dict=state)


def load_checked_state(model: torch.nn.Module, state: Mapping, source: str, target: str) -> None:
    """Load ``state`` (from ``source``) into ``model`` (``target`` in errors) after checking that it holds
    every tensor of the model in its shape; tensors the model lacks are ignored."""
    report = compare_state_dict(state, model.state_dict())
    if report.missing or report.mismatched:
        problems = report._replace(unexpected=[]).lines(limit=5)
        raise ValueError(f'{source} does not fit {target}: {"; ".join(problems)}. Pass the config the checkpoint '
                         'was trained or converted with (convert official ones with `errseg convert-official`)')
    model.load_state_dict({k: v for k, v in state.items() if k not in report.unexpected}, strict=True)


def config_from_checkpoint(checkpoint: Mapping, source: str = 'the checkpoint') -> Config:
    """The config a checkpoint's state dict fits: the one mmengine's ``Runner`` saved (``meta['cfg']`` or
    the message hub's), else the architecture ``errseg convert-official`` saved (``meta['errseg']``)
    applied to the matching base model config, with the default runtime."""
    meta = checkpoint.get('meta') or {}
    text = meta.get('cfg') or ((checkpoint.get('message_hub') or {}).get('runtime_info') or {}).get('cfg')
    if isinstance(text, str):
        return Config.fromstring(text, file_format='.py')
    info = meta.get('errseg')
    if not isinstance(info, Mapping) or 'clip_model_name' not in info:
        raise ValueError(f'{source} does not say which model it holds (no meta.cfg, no '
                         'meta.errseg.clip_model_name): pass the model config (--config / model=)')
    base = 'errseg_convnext-l.py' if info['clip_model_name'] == 'convnext_large_d_320' else 'errseg_convnext-b.py'
    configs = Path(__file__).resolve().parents[1] / 'configs' / '_base_'
    cfg = Config.fromfile(str(configs / 'default_runtime.py'))
    cfg.merge_from_dict(Config.fromfile(str(configs / 'models' / base)).to_dict())
    cfg.model.backbone.model_name = info['clip_model_name']
    cfg.model.decode_head.update(dict(info.get('head_config') or {}))
    if info.get('crop_size'):  # the official evaluation's input size (768 for ERR-Seg-L)
        cfg.model.crop_size = cfg.model.data_preprocessor.size = tuple(info['crop_size'])
    return cfg
