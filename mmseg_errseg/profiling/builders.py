"""Build the models the profiler measures, offline (every download path nulled) and with clear errors:
any MMSeg segmentor from a config, SAN ViT-B/16 from the config MMSeg ships, the cost-aggregation baseline."""
import copy
import os
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch.nn as nn

from ..vocabularies import VOCABULARIES, load_vocabulary

__all__ = [
    'COST_AGGREGATION_BASELINE', 'SAN_CONFIG', 'check_input_size', 'vocabulary_of_size',
    'load_model_config', 'build_segmentor', 'san_config_path', 'build_san'
]

#: ``decode_head`` switches that turn every ERR-Seg reduction off (P = T, no SSR,
#: no CSR, vanilla MLP): the plain cost-aggregation baseline.
COST_AGGREGATION_BASELINE = dict(
    decode_head=dict(class_removal=False, sr_ratio=1, class_pool=1, mlp_type='vanilla'))

#: SAN ViT-B/16 config shipped inside the installed mmseg package.
SAN_CONFIG = 'san/san-vit-b16_coco-stuff164k-640x640.py'


def check_input_size(size: Sequence[int], option: str = '--input') -> Tuple[int, int]:
    """``(H, W)``: two positive multiples of 32 (the coarsest stride here); ``option`` names it in errors."""
    try:
        h, w = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(f'{option} must be two integers H W, got {size!r}') from None
    if h <= 0 or w <= 0 or h % 32 or w % 32:
        raise ValueError(f'{option} {h} {w} is not a valid input size: H and W must be positive '
                         'multiples of 32 (e.g. 640 640)')
    return h, w


def vocabulary_of_size(num_classes: int) -> Tuple[str, List[str]]:
    """``(source, names)``: the shipped vocabulary with exactly T names (847: ade847, ...), else placeholders."""
    if num_classes < 1:
        raise ValueError(f'--num-classes must be >= 1, got {num_classes}')
    for name in VOCABULARIES:
        names = load_vocabulary(name)
        if len(names) == num_classes:
            return name, names
    return 'synthetic', [f'class {i}' for i in range(num_classes)]


def load_model_config(config: str):
    """The :class:`mmengine.config.Config` of a file that defines ``model``, with a clear error if not."""
    from mmengine.config import Config
    if not os.path.isfile(config):
        raise FileNotFoundError(f'config {config!r}: no such file')
    try:
        cfg = Config.fromfile(config)
    except Exception as e:  # syntax errors, missing bases, failing custom_imports, ...
        raise ValueError(f'config {config!r} cannot be read: {type(e).__name__}: {e}') from None
    if not isinstance(cfg.get('model'), dict) or 'type' not in cfg.model:
        raise ValueError(f'config {config!r} defines no `model` dict with a `type`: '
                         'give a model config such as configs/_base_/models/errseg_convnext-b.py')
    return cfg


def _null_pretrained(model_cfg: Dict[str, Any]) -> None:
    """Drop every weight/download path so that building needs no file and no network."""
    if isinstance(model_cfg, dict):
        for key in list(model_cfg):
            if key == 'pretrained':
                model_cfg[key] = None
            elif key == 'init_cfg' and isinstance(model_cfg[key], dict) \
                    and 'checkpoint' in model_cfg[key]:
                model_cfg[key] = None
            else:
                _null_pretrained(model_cfg[key])
    elif isinstance(model_cfg, (list, tuple)):
        for item in model_cfg:
            _null_pretrained(item)


def build_segmentor(cfg, overrides: Optional[Dict[str, Any]] = None,
                    input_size: Optional[Tuple[int, int]] = None, source: str = 'config') -> nn.Module:
    """``cfg.model`` with random weights (pretrained paths nulled), in eval mode.

    Args:
        overrides: Nested ``model`` overrides, e.g. :data:`COST_AGGREGATION_BASELINE`.
        input_size: For ERR-Seg, the network input (H, W) (sets ``crop_size``).
        source: How to name the config in errors.
    """
    from mmengine.config import Config, ConfigDict
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    model_cfg = copy.deepcopy(cfg.model)
    if overrides:
        model_cfg = Config(dict(model=model_cfg))
        model_cfg.merge_from_dict(dict(model=overrides))
        model_cfg = model_cfg.model
    if input_size is not None and model_cfg.get('type') == 'ERRSeg':
        model_cfg['crop_size'] = tuple(input_size)
        if isinstance(model_cfg.get('data_preprocessor'), dict):
            model_cfg['data_preprocessor']['size'] = tuple(input_size)
    _null_pretrained(model_cfg)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    try:
        model = MODELS.build(ConfigDict(model_cfg))
    except Exception as e:  # unknown types, bad arguments, failed checks of the constructors
        raise ValueError(f'the model of {source} cannot be built: {type(e).__name__}: {e}') from None
    return model.eval()


def san_config_path() -> Path:
    """Path of MMSeg's own SAN ViT-B/16 config inside the installed ``mmseg`` package."""
    import mmseg
    path = Path(mmseg.__file__).parent / '.mim' / 'configs' / SAN_CONFIG
    if not path.is_file():
        raise FileNotFoundError(f'the installed mmseg ({mmseg.__version__}) does not ship {SAN_CONFIG}; '
                                'SAN needs mmsegmentation >= 1.1 installed with its configs')
    return path


def build_san(class_names: Sequence[str]) -> nn.Module:
    """SAN ViT-B/16 (``MultimodalEncoderDecoder``, eval mode) from MMSeg's config for T class names, offline."""
    path = san_config_path()
    cfg = load_model_config(str(path))
    names = list(class_names)
    overrides = dict(
        text_encoder=dict(dataset_name=None, vocabulary=names),
        decode_head=dict(num_classes=len(names)))
    loss = cfg.model.decode_head.get('loss_decode')
    if isinstance(loss, list) and loss and 'class_weight' in loss[0]:  # one weight per class + no-object
        losses = copy.deepcopy(loss)
        losses[0]['class_weight'] = [1.0] * len(names) + [0.1]
        overrides['decode_head']['loss_decode'] = losses
    with warnings.catch_warnings():  # mmseg's own deprecation notices while building SAN's losses
        warnings.simplefilter('ignore', UserWarning)
        return build_segmentor(cfg, overrides, source=f'MMSeg config {SAN_CONFIG}')
