"""The ERR-Seg segmentor: CLIP encoder + ERR-Seg head over a settable vocabulary."""
import math
import warnings
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, OptSampleList, SampleList
from torch import Tensor

from ..vocabularies import load_vocabulary, make_palette
from .class_reduction import scatter_classes
from .clip_convnext import CLIPFeatures
from .prompts import DEFAULT_TEMPLATE, build_prompts, check_vocabulary

__all__ = ['ERRSeg', 'CLIP_MEAN', 'CLIP_STD']

#: Pixel mean/std (0-255 RGB) of both released ERR-Seg configs.
CLIP_MEAN = (123.675, 116.280, 103.530)
CLIP_STD = (58.395, 57.120, 57.375)
_FILL = -100.0  # official logit of classes that were not kept
_FILL_PROB = 1.0 / (1.0 + math.exp(-_FILL))  # its probability
_TEXT_CACHE_SIZE = 4


@MODELS.register_module()
class ERRSeg(BaseSegmentor):
    """ERR-Seg (open-vocabulary semantic segmentation) as an MMSeg segmentor.

    Images are normalised with the CLIP mean/std by the data preprocessor,
    resized (bilinear, aspect ratio not kept) to ``crop_size`` and encoded
    once; predictions are sigmoid probabilities resized to the original image.

    The vocabulary (class names) is set by ``vocabulary``, by assigning
    ``model.vocabulary`` or ``model.dataset_meta`` (as ``mmseg.apis.init_model``
    and :class:`~mmseg_errseg.engine.VocabularyHook` do), or per call of
    :meth:`set_vocabulary`. Text embeddings are cached per vocabulary unless the text tower trains.

    Args:
        backbone: The CLIP encoder config (:class:`OpenCLIPConvNeXt`).
        decode_head: The :class:`ERRSegHead` config; ``embed_dim`` and
            ``guidance_dims`` default to the backbone's.
        vocabulary: Shipped vocabulary name, file, or list of class names.
        prompt_template: Prompt with one ``{}`` for the class name.
        synonyms: 'first' (official) or 'mean' for names like 'sofa, couch'.
        crop_size: (H, W) the image is resized to, multiples of 32.
        ignore_index: Label of ignored pixels.
        exclude_ignore: Leave ignored pixels out of the loss mean (official: False).
        loss_decode: Overrides of the loss config (``type`` defaults to
            :class:`~mmseg_errseg.models.ERRSegBCELoss`, built from ``MODELS``).
        train_cfg: Unused keys are kept for MMSeg compatibility.
        test_cfg: ``num_selected`` (test-time P; default the head's) and
            ``output_logits`` (store the full (T, H, W) probabilities as
            ``seg_logits``; off by default to save memory on large vocabularies).
        data_preprocessor: Defaults to :class:`SegDataPreProcessor` with the CLIP mean/std.
        pretrained: CLIP weights for the backbone (MMSeg convention; see
            :class:`OpenCLIPConvNeXt`), overriding ``backbone.pretrained``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 vocabulary: Union[None, str, Sequence[str]] = None,
                 prompt_template: str = DEFAULT_TEMPLATE,
                 synonyms: str = 'first',
                 crop_size: Tuple[int, int] = (640, 640),
                 ignore_index: int = 255,
                 exclude_ignore: bool = False,
                 loss_decode: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None):
        if pretrained is not None:  # MMSeg convention: the backbone's weights
            backbone = dict(backbone, pretrained=pretrained)
        if data_preprocessor is None:
            data_preprocessor = dict(type=SegDataPreProcessor, mean=CLIP_MEAN, std=CLIP_STD,
                                     bgr_to_rgb=True, pad_val=0, seg_pad_val=ignore_index)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        crop_size = tuple(crop_size)
        if len(crop_size) != 2 or any(s < 32 or s % 32 for s in crop_size):
            raise ValueError(f'crop_size must be (H, W), multiples of 32, got {crop_size}')
        if '{}' not in prompt_template:
            raise ValueError(f'prompt_template needs a {{}} for the class name: {prompt_template!r}')
        build_prompts(['x'], prompt_template, synonyms)  # validates ``synonyms``
        self.backbone = MODELS.build(backbone)
        decode_head = dict(decode_head)
        for key, value in (('embed_dim', self.backbone.embed_dim),
                           ('guidance_dims', self.backbone.guidance_dims)):
            given = decode_head.setdefault(key, value)
            if (tuple(given) if isinstance(given, (list, tuple)) else given) != value:
                raise ValueError(f'decode_head.{key}={given} does not match the backbone ({value})')
        self.decode_head = MODELS.build(decode_head)
        self.prompt_template = prompt_template
        self.synonyms = synonyms
        self.crop_size = crop_size
        self.ignore_index = ignore_index
        self.exclude_ignore = exclude_ignore
        self.loss_decode = MODELS.build(dict(dict(type='ERRSegBCELoss', exclude_ignore=exclude_ignore,
                                                  fill=_FILL), **(loss_decode or {})))
        self.train_cfg = dict(train_cfg or {})
        self.test_cfg = dict(test_cfg or {})
        self._vocabulary: Optional[List[str]] = None
        self._palette = None
        self._text_cache: 'OrderedDict[tuple, Tensor]' = OrderedDict()
        if vocabulary is not None:
            self.vocabulary = load_vocabulary(vocabulary)

    # ------------------------------------------------------------------ vocabulary
    @property
    def vocabulary(self) -> List[str]:
        if self._vocabulary is None:
            raise RuntimeError('ERRSeg has no vocabulary: set `vocabulary=` in the config, '
                               '`model.vocabulary = [...]`, or `model.dataset_meta = dict(classes=...)`')
        return list(self._vocabulary)

    @vocabulary.setter
    def vocabulary(self, names: Sequence[str]) -> None:
        names = check_vocabulary(names)
        if names != self._vocabulary:
            self._palette = None
        self._vocabulary = names

    def set_vocabulary(self, names: Union[str, Sequence[str]]) -> 'ERRSeg':
        """Set the vocabulary (shipped name, file or names); returns the model."""
        self.vocabulary = load_vocabulary(names)
        return self

    @property
    def num_classes(self) -> int:
        return len(self.vocabulary)

    @property
    def dataset_meta(self) -> dict:
        """``classes`` (the vocabulary) and ``palette`` (the one set with them, else generated), as MMSeg's."""
        palette = self._palette if self._palette is not None else make_palette(self.num_classes).tolist()
        return dict(classes=tuple(self.vocabulary), palette=palette)

    @dataset_meta.setter
    def dataset_meta(self, meta: Optional[dict]) -> None:
        if not meta or not meta.get('classes'):
            return
        self.vocabulary = list(meta['classes'])
        palette = meta.get('palette')
        self._palette = list(palette) if palette is not None and len(palette) == len(meta['classes']) else None

    def text_embeddings(self) -> Tensor:
        """L2-normalised class embeddings (T, D) of the current vocabulary.

        Cached per vocabulary unless a text-tower parameter is being trained
        (so under ``finetune='frozen'`` / ``'weight_visual'`` a training step does
        not run the text tower); a training step that trains it empties the cache.
        """
        names = self.vocabulary
        device = self.backbone.clip.positional_embedding.device
        key = (tuple(names), self.prompt_template, self.synonyms, str(device))
        trains = self.training and torch.is_grad_enabled() and any(
            p.requires_grad for n, p in self.backbone.clip.named_parameters() if not n.startswith('visual.'))
        if trains:
            self._text_cache.clear()  # its weights are about to change
        elif key in self._text_cache:
            self._text_cache.move_to_end(key)
            return self._text_cache[key]
        prompts, owner = build_prompts(names, self.prompt_template, self.synonyms)
        with torch.set_grad_enabled(trains):
            emb = self.backbone.encode_text(self.backbone.tokenize(prompts)).float()
            emb = emb / emb.norm(dim=-1, keepdim=True)
            if len(prompts) != len(names):  # average the synonyms of each class
                emb = emb.new_zeros(len(names), emb.shape[1]).index_add(0, torch.tensor(owner, device=device), emb)
                emb = emb / emb.norm(dim=-1, keepdim=True)
        if not trains:
            self._text_cache[key] = emb
            while len(self._text_cache) > _TEXT_CACHE_SIZE:
                self._text_cache.popitem(last=False)
        return emb

    def _load_from_state_dict(self, *args, **kwargs):
        self._text_cache.clear()
        super()._load_from_state_dict(*args, **kwargs)

    # ------------------------------------------------------------------ forward
    def extract_feat(self, inputs: Tensor) -> CLIPFeatures:
        if inputs.shape[-2:] != self.crop_size:
            inputs = F.interpolate(inputs, size=self.crop_size, mode='bilinear', align_corners=False)
        return self.backbone(inputs, os16_dense=self.decode_head.rrhc.hierarchical)

    def decode(self, inputs: Tensor, num_selected: Optional[int] = None,
               gt_present: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Images -> logits of the kept classes (B, P, h, w) and their indices (B, P)."""
        text, t = self.text_embeddings(), self.num_classes
        if num_selected is not None and num_selected > t:
            warnings.warn(f'num_selected={num_selected} is larger than the vocabulary ({t} classes); using {t}',
                          stacklevel=2)
            num_selected = t
        return self.decode_head(self.extract_feat(inputs), text, num_selected, gt_present)

    def encode_decode(self, inputs: Tensor, batch_img_metas: Optional[List[dict]] = None) -> Tensor:
        """Official decoder output: logits (B, T, h, w) at 1/4 of ``crop_size``, -100 off the kept classes."""
        kept_logits, kept = self.decode(inputs, None if self.training else self.test_cfg.get('num_selected'))
        return scatter_classes(kept_logits, kept, self.num_classes, _FILL)

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None) -> Tensor:
        return self.encode_decode(inputs)

    def _present_classes(self, labels: Tensor) -> Tensor:
        t = self.num_classes
        flat = labels.flatten(1)
        valid = flat != self.ignore_index
        bad = valid & ((flat < 0) | (flat >= t))
        why = (f'outside the vocabulary [0, {t}) and are not the ignore index {self.ignore_index}: '
               'check the dataset and vocabulary')
        if flat.device.type != 'cpu':  # no host sync on an accelerator: checked asynchronously
            torch._assert_async(~bad.any(), f'label values are {why}')
        elif bad.any():
            raise ValueError(f'label values {flat[bad].unique()[:10].tolist()} are {why}')
        present = torch.zeros(flat.shape[0], t + 1, dtype=torch.bool, device=labels.device)
        return present.scatter_(1, torch.where(valid, flat, t), True)[:, :t]

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        labels = torch.stack([ds.gt_sem_seg.data for ds in data_samples]).squeeze(1).long()
        kept_logits, kept = self.decode(inputs, self.decode_head.num_selected,
                                        self._present_classes(labels))
        loss = self.loss_decode(kept_logits, kept, labels, self.num_classes, self.ignore_index)
        return {getattr(self.loss_decode, 'loss_name', 'loss_sem_seg'): loss}

    def predict(self, inputs: Tensor, data_samples: OptSampleList = None) -> SampleList:
        kept_logits, kept = self.decode(inputs, self.test_cfg.get('num_selected'))
        if data_samples is None:
            data_samples = [SegDataSample(metainfo=dict(ori_shape=inputs.shape[-2:]))
                            for _ in range(inputs.shape[0])]
        for prob, idx, sample in zip(kept_logits.sigmoid(), kept, data_samples):
            self._postprocess(prob, idx, sample, inputs.shape[-2:])
        return data_samples

    def _postprocess(self, prob: Tensor, kept: Tensor, sample: SegDataSample, input_hw) -> None:
        """Kept-class probabilities (P, h, w) -> labels at the original image size."""
        meta = sample.metainfo
        pad = meta.get('img_padding_size', meta.get('padding_size'))
        prob = prob[None]
        if pad is not None and any(pad):
            left, right, top, bottom = pad
            prob = F.interpolate(prob, size=tuple(input_hw), mode='bilinear', align_corners=False)
            prob = prob[..., top:input_hw[0] - bottom, left:input_hw[1] - right]
        if meta.get('flip'):
            prob = prob.flip(dims=(3,) if meta.get('flip_direction') == 'horizontal' else (2,))
        ori_shape = tuple(meta.get('ori_shape', input_hw))[:2]
        prob = F.interpolate(prob, size=ori_shape, mode='bilinear', align_corners=False)[0]
        sample.set_data(dict(pred_sem_seg=PixelData(data=kept[prob.argmax(0)][None])))
        sample.set_metainfo(dict(kept_classes=kept))  # (P,) on the model's device: no host sync
        if self.test_cfg.get('output_logits', False):
            full = scatter_classes(prob[None], kept[None], self.num_classes, _FILL_PROB)[0]
            sample.set_data(dict(seg_logits=PixelData(data=full)))
