"""What is measured: a :class:`RunSpec` (``errseg profile``'s options: :func:`setting_specs`) says what to
build; :func:`build_target` builds it offline (any MMSeg segmentor from a config, SAN ViT-B/16 from MMSeg's
config, the cost-aggregation baseline) and wraps it as a :class:`ProfileTarget`, forward taking the image
only, class embeddings cached (the text tower is never measured, as in the paper):

* ERR-Seg: ``ERRSeg.decode(image, P)``: image -> logits of the P kept classes;
* SAN (MMSeg's ``MultimodalEncoderDecoder``): ``encode_decode``: image -> T maps;
* any other MMSeg segmentor: its tensor-mode forward.
"""
import contextlib
import copy
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple
from unittest import mock

import torch
import torch.nn as nn

from ..datasets.benchmarks import Vocabulary, get_benchmark, resolve_vocabulary
from ..utils import config_hash, portable_path
from ..vocabularies import VOCABULARIES, load_vocabulary
from .components import ERRSEG_COMPONENTS, ERRSEG_PARAM_GROUPS, SAN_COMPONENTS, SAN_PARAM_GROUPS, ComponentMap

__all__ = ['COST_AGGREGATION_BASELINE', 'SAN_CONFIG', 'check_input_size', 'vocabulary_of_size', 'load_model_config',
           'build_segmentor', 'san_config_path', 'build_san', 'TEXT_MODES', 'ProfileTarget', 'errseg_target',
           'san_target', 'segmentor_target', 'ERRSEG', 'SAN', 'COST_AGG', 'RunSpec', 'setting_specs', 'build_target']

#: Display names of the profiled methods.
ERRSEG, SAN, COST_AGG = 'ERR-Seg', 'SAN ViT-B/16', 'cost-aggregation baseline'

#: The plain cost-aggregation baseline: every ERR-Seg reduction off (P = T, no SSR, no CSR, vanilla MLP).
COST_AGGREGATION_BASELINE = dict(decode_head=dict(class_removal=False, sr_ratio=1, class_pool=1, mlp_type='vanilla'))

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


def _null_pretrained(model_cfg: Any) -> None:
    """Drop every weight/download path so that building needs no file and no network."""
    if isinstance(model_cfg, dict):
        for key, value in model_cfg.items():
            if key == 'pretrained' or key == 'init_cfg' and isinstance(value, dict) and 'checkpoint' in value:
                model_cfg[key] = None
            else:
                _null_pretrained(value)
    elif isinstance(model_cfg, (list, tuple)):
        for item in model_cfg:
            _null_pretrained(item)


def build_segmentor(cfg, overrides: Optional[Dict[str, Any]] = None,
                    input_size: Optional[Tuple[int, int]] = None, source: str = 'config') -> nn.Module:
    """``cfg.model`` with random weights (pretrained paths nulled), in eval mode, nested ``overrides`` merged
    (e.g. :data:`COST_AGGREGATION_BASELINE`); ``input_size`` sets ERR-Seg's ``crop_size``; ``source`` names
    the config in errors."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    model_cfg = copy.deepcopy(cfg.model)
    if overrides:
        model_cfg.merge(overrides)
    if input_size is not None and model_cfg.get('type') == 'ERRSeg':
        model_cfg['crop_size'] = tuple(input_size)
        if isinstance(model_cfg.get('data_preprocessor'), dict):
            model_cfg['data_preprocessor']['size'] = tuple(input_size)
    _null_pretrained(model_cfg)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    try:
        model = MODELS.build(model_cfg)
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
    cfg = load_model_config(str(san_config_path()))
    names = list(class_names)
    overrides = dict(text_encoder=dict(dataset_name=None, vocabulary=names), decode_head=dict(num_classes=len(names)))
    loss = cfg.model.decode_head.get('loss_decode')
    if isinstance(loss, list) and loss and 'class_weight' in loss[0]:  # one weight per class + no-object
        losses = copy.deepcopy(loss)
        losses[0]['class_weight'] = [1.0] * len(names) + [0.1]
        overrides['decode_head']['loss_decode'] = losses
    with warnings.catch_warnings():  # mmseg's own deprecation notices while building SAN's losses
        warnings.simplefilter('ignore', UserWarning)
        return build_segmentor(cfg, overrides, source=f'MMSeg config {SAN_CONFIG}')


#: How class embeddings are cached: 'encode' runs the text tower once; 'random' caches random unit vectors
#: (costs do not depend on their values).
TEXT_MODES = ('random', 'encode')


class _Forward(nn.Module):
    """``model`` as the child 'model' (fixed module-name prefix); ``forward(image)`` calls ``run``."""

    def __init__(self, model: nn.Module, run):
        super().__init__()
        self.model = model
        object.__setattr__(self, 'run', run)

    def forward(self, image: torch.Tensor):
        return self.run(self.model, image)


def _encode_decode(model: nn.Module, image: torch.Tensor) -> torch.Tensor:
    h, w = image.shape[-2:]
    meta = dict(ori_shape=(h, w), img_shape=(h, w), pad_shape=(h, w), padding_size=[0, 0, 0, 0])
    return model.encode_decode(image, [meta] * image.shape[0])


@dataclass
class ProfileTarget:
    """One measured configuration: the full ``model`` (parameters are counted on it), the module whose
    ``forward(image)`` is measured (the model is its child 'model'), the (H, W) of the image batch (batch 1),
    the components of ``model`` (FLOPs and time), its parameter groups (visual / text / decoder) and the
    settings that define it (T, P, overrides, ...) for records."""
    name: str
    model: nn.Module
    forward: nn.Module
    input_size: Tuple[int, int]
    components: ComponentMap
    param_groups: ComponentMap
    settings: Dict = field(default_factory=dict)

    PREFIX = 'model'

    def example_input(self, device='cpu') -> torch.Tensor:
        """A deterministic normalised image batch (1, 3, H, W)."""
        return torch.randn(1, 3, *self.input_size, generator=torch.Generator().manual_seed(0)).to(device)


def _random_text_tower(model: nn.Module):
    """ERR-Seg's text tower returning seeded random embeddings while the cache fills."""
    gen, dim = torch.Generator().manual_seed(0), model.backbone.embed_dim
    return mock.patch.object(model.backbone, 'encode_text',
                             lambda tokens: torch.randn(tokens.shape[0], dim, generator=gen).to(tokens.device))


def errseg_target(model: nn.Module, class_names: Sequence[str], num_selected: Optional[int],
                  input_size: Tuple[int, int], name: str = ERRSEG, text: str = 'random',
                  settings: Optional[Dict] = None) -> ProfileTarget:
    """ERR-Seg (built, on its device) measured through ``decode`` with its vocabulary's embeddings cached:
    ``num_selected``: P (None: the config's ``test_cfg``); ``input_size`` must equal the model's ``crop_size``;
    ``text``: one of :data:`TEXT_MODES`; ``settings``: extra fields for the record."""
    if text not in TEXT_MODES:
        raise ValueError(f'text must be one of {TEXT_MODES}, got {text!r}')
    if tuple(model.crop_size) != tuple(input_size):
        raise ValueError(f'the model runs at crop_size {model.crop_size}, not the requested input '
                         f'{tuple(input_size)}: build it with that crop_size')
    model.eval()
    model.vocabulary = list(class_names)
    head = model.decode_head
    p = model.test_cfg.get('num_selected') if num_selected is None else num_selected
    if p is None:  # what ERRSeg.decode falls back to
        p = head.num_selected
    if p is not None and p < 1:
        raise ValueError(f'--num-selected must be >= 1, got {p}')
    if p is not None and p > len(class_names):
        raise ValueError(f'--num-selected {p} is larger than the vocabulary ({len(class_names)} '
                         'classes): choose P <= T')
    with torch.inference_mode(), _random_text_tower(model) if text == 'random' else contextlib.nullcontext():
        model.text_embeddings()
    kept = p if (p is not None and head.rrhc.class_removal) else len(class_names)
    layers = head.rrca.layers
    info = dict(num_classes=len(class_names), num_selected=p, kept_classes=kept, text=text, input=list(input_size),
                sr_ratio=[layer.spatial.attn.sr_ratio for layer in layers if layer.spatial is not None],
                class_pool=[layer.classes.class_pool for layer in layers if layer.classes is not None],
                mlp_type=next((block.mlp.mlp_type for layer in layers
                               for block in (layer.spatial, layer.classes) if block is not None), None),
                class_removal=head.rrhc.class_removal)
    return ProfileTarget(name, model, _Forward(model, lambda m, image: m.decode(image, p)), tuple(input_size),
                         ComponentMap(ERRSEG_COMPONENTS), ComponentMap(ERRSEG_PARAM_GROUPS),
                         {**info, **(settings or {})})


def san_target(model: nn.Module, class_names: Sequence[str], input_size: Tuple[int, int],
               name: str = SAN, settings: Optional[Dict] = None) -> ProfileTarget:
    """SAN (``MultimodalEncoderDecoder`` built for ``class_names``) measured through ``encode_decode``; its text
    encoder (14 templates per class: minutes of CPU for hundreds of classes, and never measured) is replaced
    by a cache of random unit vectors (the weights are random too)."""
    encoder = model.text_encoder
    if not getattr(encoder, 'cache_feature', False) or encoder.dataset_name is not None:
        raise ValueError('SAN profiling needs its text encoder built with a vocabulary and cache_feature=True')
    projection = encoder.text_projection
    embeddings = torch.randn(len(class_names), projection.shape[1], generator=torch.Generator().manual_seed(0))
    encoder.cache.update(zip(class_names, nn.functional.normalize(embeddings, dim=-1).to(projection.device)))
    info = {'num_classes': len(class_names), 'num_selected': None, 'kept_classes': len(class_names),
            'text': 'random', 'input': list(input_size), **(settings or {})}
    return ProfileTarget(name, model, _Forward(model.eval(), _encode_decode), tuple(input_size),
                         ComponentMap(SAN_COMPONENTS), ComponentMap(SAN_PARAM_GROUPS), info)


def segmentor_target(model: nn.Module, input_size: Tuple[int, int], name: str,
                     settings: Optional[Dict] = None) -> ProfileTarget:
    """Any other MMSeg segmentor, through its tensor-mode forward; components are its children."""
    children = {n: [n] for n, _ in model.named_children() if n != 'data_preprocessor'}
    forward = _Forward(model.eval(), lambda m, image: m(image, None, mode='tensor'))
    return ProfileTarget(name, model, forward, tuple(input_size), ComponentMap(children), ComponentMap(children),
                         {'input': list(input_size), **(settings or {})})


@dataclass
class RunSpec:
    """What to build and measure: ``method`` (display name), ``model`` 'config' (``config`` with nested
    ``model`` ``overrides``, ``checkpoint`` weights) or 'san' (MMSeg's SAN config), P (None: the config's
    ``test_cfg``), the benchmark named in records, ``text`` (:data:`TEXT_MODES`)."""
    method: str
    model: str
    config: Optional[str]
    vocabulary: Vocabulary
    input_size: Tuple[int, int]
    num_selected: Optional[int] = None
    overrides: Optional[Dict] = None
    benchmark: Optional[str] = None
    text: str = 'random'
    checkpoint: Optional[str] = None


def setting_specs(config: str, *, num_classes: Optional[int] = None, vocabulary: Optional[str] = None,
                  benchmark: Optional[str] = None, num_selected: Optional[int] = None,
                  input_size: Optional[Sequence[int]] = None, baselines: bool = False,
                  text: str = 'random', checkpoint: Optional[str] = None) -> List[RunSpec]:
    """The runs of one setting (``errseg profile``'s options): CONFIG, then with ``baselines`` SAN and the
    cost-aggregation baseline. The classes: T names (:func:`vocabulary_of_size`), a vocabulary, a benchmark's,
    else the config's; P: the benchmark's official P, else the config's (at most T); the input size: the
    config's ``crop_size``."""
    if sum(x is not None for x in (num_classes, vocabulary, benchmark)) > 1:
        raise ValueError('give at most one of --num-classes, --vocabulary and --benchmark')
    cfg = load_model_config(config)
    model = cfg.model
    size = input_size or model.get('crop_size') or cfg.get('crop_size')
    if size is None:
        raise ValueError(f'config {config!r} sets no crop_size: give --input H W')
    size = check_input_size(size, '--input' if input_size is not None else 'the config\'s crop_size')
    is_errseg = model.get('type') == 'ERRSeg'
    bench = get_benchmark(benchmark) if benchmark is not None else None
    if num_classes is not None:
        vocab = Vocabulary(*vocabulary_of_size(num_classes))
    elif vocabulary is not None or bench is not None:
        vocab = resolve_vocabulary(vocabulary if bench is None else bench.name)
    elif isinstance(model.get('vocabulary'), str):
        vocab = resolve_vocabulary(model.vocabulary)
    elif model.get('vocabulary') is not None:
        vocab = Vocabulary('the config\'s list', list(model.vocabulary))
    elif is_errseg:
        raise ValueError('the config sets no vocabulary: give --num-classes, --vocabulary or --benchmark')
    else:  # a closed-set model has no vocabulary to set
        vocab = Vocabulary('none', [])
    if num_selected is None:
        num_selected = bench.num_selected if bench else (model.get('test_cfg') or {}).get('num_selected')
        if num_selected is not None and vocab.names:  # as ERRSeg does: P is at most T
            num_selected = min(num_selected, len(vocab.names))
    elif num_selected < 1:
        raise ValueError(f'--num-selected must be >= 1, got {num_selected}')
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise FileNotFoundError(f'--checkpoint {checkpoint!r}: no such file')
    common = dict(vocabulary=vocab, input_size=size, benchmark=benchmark, text=text)
    specs = [RunSpec(ERRSEG if is_errseg else model.type, 'config', config,
                     num_selected=num_selected, checkpoint=checkpoint, **common)]
    if baselines:
        if not is_errseg:
            raise ValueError('--baselines compares an ERR-Seg config with SAN and the '
                             f'cost-aggregation baseline; {config!r} builds a {model.type}')
        specs.append(RunSpec(SAN, 'san', None, **common))
        specs.append(RunSpec(COST_AGG, 'config', config, overrides=COST_AGGREGATION_BASELINE, **common))
    return specs


def build_target(spec: RunSpec, device) -> ProfileTarget:
    """Build the model of a spec on ``device`` and wrap it for measuring."""
    settings = dict(method=spec.method, benchmark=spec.benchmark, vocabulary=spec.vocabulary.source,
                    overrides=spec.overrides)
    if spec.model == 'san':
        model = build_san(spec.vocabulary.names).to(device)
        settings.update(config=f'mmseg:{SAN_CONFIG}',
                        config_hash=config_hash(load_model_config(str(san_config_path())).model))
        return san_target(model, spec.vocabulary.names, spec.input_size, spec.method, settings)
    cfg = load_model_config(spec.config)
    model = build_segmentor(cfg, spec.overrides, spec.input_size, source=f'config {spec.config!r}')
    if spec.checkpoint:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, spec.checkpoint, map_location='cpu', strict=True)
    model = model.to(device)
    settings.update(config=portable_path(spec.config), checkpoint=spec.checkpoint,
                    config_hash=config_hash(dict(model=cfg.model.to_dict(), overrides=spec.overrides,
                                                 input=list(spec.input_size))))
    if cfg.model.get('type') == 'ERRSeg':
        return errseg_target(model, spec.vocabulary.names, spec.num_selected, spec.input_size,
                             spec.method, spec.text, settings)
    return segmentor_target(model, spec.input_size, spec.method, settings)
