"""OpenCLIP ConvNeXt encoder of ERR-Seg (paper Sec. 3.1.1, Eqs. 1-2).

Yields the four stage outputs (hierarchical guidances) and the two dense CLIP
embeddings: F4^s from the final stage, and F3^s from stage 3 through a
stride-1 copy of stage 4's downsampling conv and stage 4's blocks. Also hosts
CLIP's text tower, so one module owns every CLIP weight.
"""
import logging
import os
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

import open_clip
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from open_clip.transformer import text_global_pool
from timm.layers import LayerNorm2d
from torch.func import functional_call

from .clip_finetune import set_clip_finetune

__all__ = ['OpenCLIPConvNeXt', 'CLIPFeatures', 'OFFICIAL_VISION_CFG', 'create_clip']

open_clip.add_model_config(Path(__file__).parent / 'clip_configs')

STAGE4_GRAD = ('both', 'os16', 'os32')
#: Stochastic layers of the official image towers (the OpenCLIP configs the official code bundles),
#: pinned so that the installed open_clip's configs cannot change training: ERR-Seg-B has no drop
#: path in its ConvNeXt trunk; ERR-Seg-L has Dropout(0.1) in its MLP head.
OFFICIAL_VISION_CFG = {
    'convnext_base_w_320': dict(timm_drop=0.0, timm_drop_path=0.0),
    'convnext_large_d_320': dict(timm_drop=0.1, timm_drop_path=0.1),
}
_OFFICIAL_DOWN = 'visual.modify_downsample.'  # the official checkpoints' conv_{s=1}


class CLIPFeatures(NamedTuple):
    """What the CLIP encoder hands to the head.

    guidances: ConvNeXt stage outputs (os4, os8, os16, os32); os4/os8 detached.
    os16_dense: F3^s (B, D, H/16, W/16), or None when not computed.
    os32_dense: F4^s (B, D, H/32, W/32).
    """
    guidances: Tuple[torch.Tensor, ...]
    os16_dense: Optional[torch.Tensor]
    os32_dense: torch.Tensor


def create_clip(model_name: str, **kwargs) -> nn.Module:
    """``open_clip.create_model(model_name)`` without weights, with the official vision settings pinned.

    Args:
        model_name: An OpenCLIP architecture; see :data:`OFFICIAL_VISION_CFG`.
        **kwargs: More ``open_clip.create_model`` arguments (e.g. ``device``).
    """
    vision_cfg = dict(open_clip.get_model_config(model_name)['vision_cfg'],
                      **OFFICIAL_VISION_CFG.get(model_name, {}))
    logging.getLogger().disabled, was = True, logging.getLogger().disabled  # "no pretrained weights" notice
    try:
        return open_clip.create_model(model_name, pretrained=None, vision_cfg=vision_cfg, **kwargs)
    finally:
        logging.getLogger().disabled = was


def _read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        sd = load_file(path)
    else:
        sd = torch.load(path, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model'):
        if isinstance(sd, dict) and isinstance(sd.get(key), dict):
            sd = sd[key]
    return {k[7:] if k.startswith('module.') else k: v for k, v in sd.items()}


def _with_prefix(sd: Dict[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}


def _detached(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Run ``module`` so that no gradient reaches its parameters (but one reaches ``x``)."""
    params = {n: p.detach() for n, p in module.named_parameters()}
    return functional_call(module, params, (x,))


@MODELS.register_module()
class OpenCLIPConvNeXt(BaseModule):
    """CLIP with a ConvNeXt image tower, from OpenCLIP.

    Args:
        model_name: Any OpenCLIP ConvNeXt architecture, e.g. 'convnext_base_w_320'
            (ERR-Seg-B), 'convnext_large_d_320' (ERR-Seg-L), or the bundled
            'errseg_tiny_convnext' for tests.
        pretrained: None (random weights), a local file (an OpenCLIP checkpoint,
            an official ERR-Seg checkpoint or one of ours), or an OpenCLIP
            pretrained tag (downloaded by OpenCLIP; needs network access).
        finetune: 'weight' (official) | 'weight_visual' (the official rule on the image tower
            only, text tower frozen: Table 3) | 'full' | 'frozen'.
        stage4_grad: Which dense embedding trains stage 4 (Table 6): 'both'
            (official), 'os16' (F3^s only) or 'os32' (F4^s only).
    """

    def __init__(self, model_name: str = 'convnext_base_w_320', pretrained: Optional[str] = None,
                 finetune: str = 'weight', stage4_grad: str = 'both', init_cfg=None):
        super().__init__(init_cfg)
        if stage4_grad not in STAGE4_GRAD:
            raise ValueError(f'stage4_grad must be one of {STAGE4_GRAD}, got {stage4_grad!r}')
        if model_name not in open_clip.list_models():
            convnexts = [m for m in open_clip.list_models() if 'convnext' in m]
            raise ValueError(f'unknown OpenCLIP model {model_name!r}; ConvNeXt models: {convnexts}')
        self.model_name = model_name
        self.stage4_grad = stage4_grad
        self.finetune = finetune
        self.clip = create_clip(model_name)
        trunk = getattr(self.clip.visual, 'trunk', None)
        if not all(hasattr(trunk, a) for a in ('stem', 'stages', 'norm_pre', 'head')) or len(trunk.stages) != 4:
            raise ValueError(f'{model_name!r} is not an OpenCLIP model with a timm ConvNeXt image tower')
        #: Channels of the four stage outputs (os4, os8, os16, os32).
        self.guidance_dims: Tuple[int, ...] = tuple(info['num_chs'] for info in trunk.feature_info)
        self.embed_dim: int = self.clip.text_projection.shape[1] if self.clip.text_projection is not None \
            else self.clip.transformer.width
        c3, c4 = self.guidance_dims[2:]
        # conv_{s=1} of Eq. 2: stage 4's downsampling with stride 1 (pad 1, k 2), resized back.
        self.os16_downsample = nn.Sequential(
            LayerNorm2d(c3, eps=1e-6), nn.ZeroPad2d((1, 1, 1, 1)), nn.Conv2d(c3, c4, 2, stride=1))
        self._copy_stage4_downsample()
        self.tokenizer = open_clip.get_tokenizer(model_name)
        if pretrained:
            self.load_clip_weights(pretrained)
        set_clip_finetune(self.clip, finetune)
        self.os16_downsample.requires_grad_(finetune == 'full')

    def _copy_stage4_downsample(self) -> None:
        down = self.clip.visual.trunk.stages[3].downsample
        self.os16_downsample[0].load_state_dict(down[0].state_dict())
        self.os16_downsample[2].load_state_dict(down[1].state_dict())

    def load_clip_weights(self, pretrained: str) -> None:
        """Load CLIP weights from a local file or an OpenCLIP tag (see the class docstring)."""
        if not os.path.isfile(pretrained):
            tags = open_clip.list_pretrained_tags_by_model(self.model_name)
            if pretrained not in tags:
                raise FileNotFoundError(
                    f'CLIP weights {pretrained!r}: no such file, and not an OpenCLIP tag of '
                    f'{self.model_name} (tags: {tags})')
            self.clip.load_state_dict(open_clip.create_model(self.model_name, pretrained=pretrained).state_dict())
            return self._copy_stage4_downsample()
        sd = _read_state_dict(pretrained)
        clip = _with_prefix(sd, 'sem_seg_head.clip_model.')  # an official checkpoint
        if clip:
            down_sd = {k[len(_OFFICIAL_DOWN):]: clip.pop(k) for k in list(clip) if k.startswith(_OFFICIAL_DOWN)}
        else:  # one of ours
            clip, down_sd = _with_prefix(sd, 'backbone.clip.'), _with_prefix(sd, 'backbone.os16_downsample.')
        if not clip:  # an OpenCLIP checkpoint
            open_clip.load_checkpoint(self.clip, pretrained, strict=True)
            return self._copy_stage4_downsample()
        clip.pop('attn_mask', None)
        self.clip.load_state_dict(clip, strict=True)
        self.os16_downsample.load_state_dict(down_sd, strict=True)

    def _dense_embed(self, x: torch.Tensor) -> torch.Tensor:
        """Apply CLIP's pooled-feature head to every pixel: (B, C, H, W) -> (B, D, H, W)."""
        b, c, h, w = x.shape
        x = self.clip.visual.trunk.norm_pre(x)
        x = x.permute(0, 2, 3, 1).reshape(-1, c, 1, 1)
        x = self.clip.visual.head(self.clip.visual.trunk.head(x).flatten(1))
        return x.view(b, h, w, -1).permute(0, 3, 1, 2)

    def forward(self, x: torch.Tensor, os16_dense: bool = True) -> CLIPFeatures:
        """Args:
            x: CLIP-normalised images (B, 3, H, W), H and W multiples of 32.
            os16_dense: Compute F3^s (hierarchical cost maps).

        Returns:
            :class:`CLIPFeatures`.
        """
        trunk = self.clip.visual.trunk
        x = trunk.stem(x)
        stages, f3 = [], None
        for i, stage in enumerate(trunk.stages):
            x = _detached(stage, x) if i == 3 and self.stage4_grad == 'os16' else stage(x)
            stages.append(x)
            if i == 2 and os16_dense:
                f3 = self.os16_downsample(x)
                f3 = F.interpolate(f3, size=x.shape[-2:], mode='bilinear', align_corners=False)
                blocks = trunk.stages[3].blocks
                f3 = self._dense_embed(_detached(blocks, f3) if self.stage4_grad == 'os32' else blocks(f3))
        guidances = (stages[0].detach(), stages[1].detach(), stages[2], stages[3])
        return CLIPFeatures(guidances, f3, self._dense_embed(x))

    def _eot_pooled(self) -> bool:
        clip = self.clip
        return getattr(clip, 'text_pool_type', None) == 'argmax' and getattr(clip, 'attn_mask', None) is not None

    def tokenize(self, texts: List[str]) -> torch.Tensor:
        """Prompts -> (N, L) tokens on the model's device, cut after the longest prompt.

        CLIP's text tower is causal and pools the end-of-text token (the largest
        id), so the padding after the longest prompt cannot change any output:
        it is cut here, on the host (about 13 of 77 positions remain for
        ERR-Seg's prompts; same embeddings, several times faster).
        """
        tokens = self.tokenizer(texts)
        if self._eot_pooled():
            tokens = tokens[:, :int(tokens.argmax(dim=-1).max()) + 1]
        return tokens.to(self.clip.positional_embedding.device)

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        """(N, L) tokens -> (N, D) text embeddings (not normalised), as ``CLIP.encode_text``.

        ``L`` may be shorter than the context length (see :meth:`tokenize`).
        """
        clip = self.clip
        if not self._eot_pooled():
            return clip.encode_text(tokens)
        n = tokens.shape[1]
        cast = clip.transformer.get_cast_dtype()
        x = clip.token_embedding(tokens).to(cast) + clip.positional_embedding[:n].to(cast)
        x = clip.ln_final(clip.transformer(x, attn_mask=clip.attn_mask[:n, :n]))
        x = text_global_pool(x, tokens, 'argmax')
        proj = clip.text_projection
        if proj is None:
            return x
        return proj(x) if isinstance(proj, nn.Module) else x @ proj
