"""What is measured: a model, the forward that runs it on one image, and its components.

A :class:`ProfileTarget` wraps a built model into a module whose forward takes
the image batch only, with the class embeddings already cached (the text tower
is never part of a measurement, as in the paper):

* ERR-Seg: ``ERRSeg.decode(image, P)``: image -> logits of the P kept classes;
* SAN (MMSeg's ``MultimodalEncoderDecoder``): ``encode_decode``: image -> T maps;
* any other MMSeg segmentor: its tensor-mode forward.
"""
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

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
    """``model`` registered as the child 'model', so module names keep a fixed prefix."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model


class _ERRSegDecode(_Forward):
    def __init__(self, model: nn.Module, num_selected: Optional[int]):
        super().__init__(model)
        self.num_selected = num_selected

    def forward(self, image: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.model.decode(image, self.num_selected)


class _EncodeDecode(_Forward):
    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[-2:]
        metas = [dict(ori_shape=(h, w), img_shape=(h, w), pad_shape=(h, w), padding_size=[0, 0, 0, 0])
                 ] * image.shape[0]
        return self.model.encode_decode(image, metas)


class _TensorForward(_Forward):
    def forward(self, image: torch.Tensor):
        return self.model(image, None, mode='tensor')


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

    def example_input(self, device='cpu', seed: int = 0) -> torch.Tensor:
        """A deterministic normalised image batch (1, 3, H, W)."""
        gen = torch.Generator().manual_seed(seed)
        return torch.randn(1, 3, *self.input_size, generator=gen).to(device)

    def to(self, device) -> 'ProfileTarget':
        self.forward.to(device)
        return self


@contextmanager
def _random_text_tower(model: nn.Module, seed: int = 0) -> Iterator[None]:
    """Make ERR-Seg's text tower return seeded random embeddings while the cache fills."""
    backbone = model.backbone
    dim = backbone.embed_dim
    gen = torch.Generator().manual_seed(seed)

    def encode_text(tokens: torch.Tensor) -> torch.Tensor:
        return torch.randn(tokens.shape[0], dim, generator=gen).to(tokens.device)

    backbone.encode_text = encode_text  # instance attribute shadows the method
    try:
        yield
    finally:
        del backbone.encode_text


def errseg_target(model: nn.Module, class_names: Sequence[str], num_selected: Optional[int],
                  input_size: Tuple[int, int], name: str = 'ERR-Seg', text: str = 'random',
                  settings: Optional[Dict] = None) -> ProfileTarget:
    """ERR-Seg measured through ``decode`` with its vocabulary's embeddings cached.

    Args:
        model: A built :class:`~mmseg_errseg.models.ERRSeg` in eval mode, on its device.
        class_names: The T class names.
        num_selected: P kept classes; None keeps the config's ``test_cfg`` value.
        input_size: Network input (H, W); must equal the model's ``crop_size``.
        name: Display name.
        text: One of :data:`TEXT_MODES`.
        settings: Extra fields for the record.

    Returns:
        The target.
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
    with torch.inference_mode():
        if text == 'random':
            with _random_text_tower(model):
                model.text_embeddings()
        else:
            model.text_embeddings()
    kept = p if (p is not None and head.rrhc.class_removal) else len(class_names)
    info = dict(num_classes=len(class_names), num_selected=p, kept_classes=kept, text=text,
                input=list(input_size), sr_ratio=[layer.spatial.attn.sr_ratio for layer in
                                                  head.rrca.layers if layer.spatial is not None],
                class_pool=[layer.classes.class_pool for layer in head.rrca.layers
                            if layer.classes is not None],
                mlp_type=_mlp_type(head), class_removal=head.rrhc.class_removal)
    info.update(settings or {})
    return ProfileTarget(name, model, _ERRSegDecode(model, p), tuple(input_size),
                         ComponentMap(ERRSEG_COMPONENTS), ComponentMap(ERRSEG_PARAM_GROUPS), info)


def _mlp_type(head: nn.Module) -> Optional[str]:
    for layer in head.rrca.layers:
        for block in (layer.spatial, layer.classes):
            if block is not None:
                return block.mlp.mlp_type
    return None


def san_target(model: nn.Module, class_names: Sequence[str], input_size: Tuple[int, int],
               name: str = 'SAN ViT-B/16', settings: Optional[Dict] = None) -> ProfileTarget:
    """SAN measured through ``encode_decode`` with random class embeddings cached.

    SAN's text encoder averages 14 prompt templates per class, minutes of CPU
    time for hundreds of classes, and is excluded from the measurement anyway;
    its per-class cache is filled with random unit vectors instead (the weights
    are random too).

    Args:
        model: A built SAN (``MultimodalEncoderDecoder``) in eval mode.
        class_names: The T class names (the vocabulary its text encoder was built with).
        input_size: Image (H, W).
        name: Display name.
        settings: Extra fields for the record.

    Returns:
        The target.
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
    return ProfileTarget(name, model, _EncodeDecode(model.eval()), tuple(input_size),
                         ComponentMap(SAN_COMPONENTS), ComponentMap(SAN_PARAM_GROUPS), info)


def segmentor_target(model: nn.Module, input_size: Tuple[int, int], name: str,
                     settings: Optional[Dict] = None) -> ProfileTarget:
    """Any other MMSeg segmentor, through its tensor-mode forward; components are its children."""
    children: Dict[str, List[str]] = {n: [n] for n, _ in model.named_children()
                                      if n != 'data_preprocessor'}
    info = dict(input=list(input_size))
    info.update(settings or {})
    return ProfileTarget(name, model, _TensorForward(model.eval()), tuple(input_size),
                         ComponentMap(children), ComponentMap(children), info)
