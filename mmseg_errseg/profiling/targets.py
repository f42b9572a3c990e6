"""What is measured: a model, the forward that runs it on one image, and its components.

A :class:`ProfileTarget` wraps a built model into a module whose forward takes
the image batch only, with the class embeddings already cached (the text tower
is never part of a measurement, as in the paper):

* ERR-Seg: ``ERRSeg.decode(image, P)``: image -> logits of the P kept classes;
* SAN (MMSeg's ``MultimodalEncoderDecoder``): ``encode_decode``: image -> T maps;
* any other MMSeg segmentor: its tensor-mode forward.
"""
import contextlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple
from unittest import mock

import torch
import torch.nn as nn

from .components import (ERRSEG_COMPONENTS, ERRSEG_PARAM_GROUPS, SAN_COMPONENTS, SAN_PARAM_GROUPS,
                         ComponentMap)

__all__ = ['ProfileTarget', 'errseg_target', 'san_target', 'segmentor_target', 'TEXT_MODES']

#: How class embeddings are cached before measuring: 'encode' runs the model's
#: text tower once; 'random' caches random unit vectors (costs do not depend on
#: their values, and with random weights neither kind is meaningful).
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
    """One measured configuration.

    Attributes:
        name: Display name (method and setting).
        model: The full model (parameters are counted on it).
        forward: Module whose ``forward(image)`` is measured; the model is its child 'model'.
        input_size: (H, W) of the image batch (batch 1, 3 channels).
        components: Components of ``model`` by module name (FLOPs and time).
        param_groups: Parameter groups of ``model`` (visual / text / decoder).
        settings: What defines the configuration (T, P, overrides, ...), for records.
    """
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
                  input_size: Tuple[int, int], name: str = 'ERR-Seg', text: str = 'random',
                  settings: Optional[Dict] = None) -> ProfileTarget:
    """ERR-Seg (built, on its device) measured through ``decode`` with its vocabulary's embeddings cached.

    Args:
        num_selected: P kept classes; None keeps the config's ``test_cfg`` value.
        input_size: Network input (H, W); must equal the model's ``crop_size``.
        text: One of :data:`TEXT_MODES`.
        settings: Extra fields for the record.
    """
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
    if p is not None and not 1 <= p:
        raise ValueError(f'--num-selected must be >= 1, got {p}')
    if p is not None and p > len(class_names):
        raise ValueError(f'--num-selected {p} is larger than the vocabulary ({len(class_names)} '
                         'classes): choose P <= T')
    with torch.inference_mode(), _random_text_tower(model) if text == 'random' else contextlib.nullcontext():
        model.text_embeddings()
    kept = p if (p is not None and head.rrhc.class_removal) else len(class_names)
    info = dict(num_classes=len(class_names), num_selected=p, kept_classes=kept, text=text,
                input=list(input_size), sr_ratio=[layer.spatial.attn.sr_ratio for layer in
                                                  head.rrca.layers if layer.spatial is not None],
                class_pool=[layer.classes.class_pool for layer in head.rrca.layers
                            if layer.classes is not None],
                mlp_type=_mlp_type(head), class_removal=head.rrhc.class_removal)
    info.update(settings or {})
    return ProfileTarget(name, model, _Forward(model, lambda m, image: m.decode(image, p)), tuple(input_size),
                         ComponentMap(ERRSEG_COMPONENTS), ComponentMap(ERRSEG_PARAM_GROUPS), info)


def _mlp_type(head: nn.Module) -> Optional[str]:
    for layer in head.rrca.layers:
        for block in (layer.spatial, layer.classes):
            if block is not None:
                return block.mlp.mlp_type
    return None


def san_target(model: nn.Module, class_names: Sequence[str], input_size: Tuple[int, int],
               name: str = 'SAN ViT-B/16', settings: Optional[Dict] = None) -> ProfileTarget:
    """SAN (``MultimodalEncoderDecoder`` built for ``class_names``) measured through ``encode_decode``.

    Its text encoder (14 prompt templates per class: minutes of CPU for hundreds of
    classes, and excluded from the measurement anyway) is replaced by a cache of
    random unit vectors (the weights are random too).
    """
    encoder = model.text_encoder
    if not getattr(encoder, 'cache_feature', False) or encoder.dataset_name is not None:
        raise ValueError('SAN profiling needs its text encoder built with a vocabulary and '
                         'cache_feature=True')
    dim = encoder.text_projection.shape[1]
    gen = torch.Generator().manual_seed(0)
    device = encoder.text_projection.device
    embeddings = torch.nn.functional.normalize(torch.randn(len(class_names), dim, generator=gen), dim=-1)
    encoder.cache.update(zip(class_names, embeddings.to(device)))
    info = dict(num_classes=len(class_names), num_selected=None, kept_classes=len(class_names),
                text='random', input=list(input_size))
    info.update(settings or {})
    return ProfileTarget(name, model, _Forward(model.eval(), _encode_decode), tuple(input_size),
                         ComponentMap(SAN_COMPONENTS), ComponentMap(SAN_PARAM_GROUPS), info)


def segmentor_target(model: nn.Module, input_size: Tuple[int, int], name: str,
                     settings: Optional[Dict] = None) -> ProfileTarget:
    """Any other MMSeg segmentor, through its tensor-mode forward; components are its children."""
    children: Dict[str, List[str]] = {n: [n] for n, _ in model.named_children()
                                      if n != 'data_preprocessor'}
    forward = _Forward(model.eval(), lambda m, image: m(image, None, mode='tensor'))
    return ProfileTarget(name, model, forward, tuple(input_size), ComponentMap(children), ComponentMap(children),
                         {'input': list(input_size), **(settings or {})})
