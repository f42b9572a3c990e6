"""Official ERR-Seg (detectron2) checkpoints -> this package's layout; state dicts checked against a model.

An official checkpoint holds ``sem_seg_head.clip_model.*`` (OpenCLIP, plus ``visual.modify_downsample``) and
``sem_seg_head.decoder.*``; the golden data's ``official_state_dict_keys.txt`` lists their keys.
"""
import re
from typing import Dict, List, Mapping, NamedTuple, Optional, Tuple

import torch

from ..utils import read_checkpoint

__all__ = ['KeyReport', 'compare_state_dict', 'OfficialCheckpointError', 'convert_decoder_state_dict',
           'convert_official_state_dict', 'convert_official_checkpoint', 'head_config_from_official',
           'infer_head_config', 'official_eval_crop']

CLIP_PREFIX = 'sem_seg_head.clip_model.'
DECODER_PREFIX = 'sem_seg_head.decoder.'

# Official decoder key (regex on its start) -> our ERRSegHead key (template or function of the match); first match wins.
DECODER_RULES = [
    (r'corr_proj_convs\.(\d+)\.0\.', r'rrhc.cost_embed.\1.'),
    (r'low_corr_fusion\.', 'rrhc.cost_fusion.'),
    (r'img_guidance_projection_agg\.', 'rrca.image_guidance_proj.'),
    (r'low_img_fusion\.', 'rrca.image_guidance_fusion.'),
    (r'text_guidance_projection\.', 'rrca.text_guidance_proj.'),
    (r'aggregator_layers\.(\d+)\.spatial_fusion\.sa\.attention\.', r'rrca.layers.\1.spatial.attn.'),
    (r'aggregator_layers\.(\d+)\.spatial_fusion\.sa\.mlp\.dwconv\.dwconv\.', r'rrca.layers.\1.spatial.mlp.dwconv.'),
    (r'aggregator_layers\.(\d+)\.spatial_fusion\.sa\.', r'rrca.layers.\1.spatial.'),
    (r'aggregator_layers\.(\d+)\.class_fusion\.sa\.attention\.', r'rrca.layers.\1.classes.attn.'),
    (r'aggregator_layers\.(\d+)\.class_fusion\.sa\.', r'rrca.layers.\1.classes.'),
    (r'img_guidance_projection_dec\.', 'decoder.guidance_proj.'),
    (r'up_decoder(\d)\.up_conv\.', lambda m: f'decoder.blocks.{int(m[1]) - 1}.up.'),
    (r'up_decoder(\d)\.textual_fusion\.', lambda m: f'decoder.blocks.{int(m[1]) - 1}.fuse.'),
    (r'head\.', 'decoder.head.'),
]


class OfficialCheckpointError(ValueError):
    """The input is not an official ERR-Seg checkpoint (or decoder state dict)."""


def _map_key(key: str) -> Optional[str]:
    for pattern, repl in DECODER_RULES:
        m = re.match(pattern, key)
        if m:
            return (repl(m) if callable(repl) else m.expand(repl)) + key[m.end():]
    return None


def convert_decoder_state_dict(sd: Mapping[str, torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Official ``Decoder`` state dict -> (``ERRSegHead`` state dict, unmatched official keys)."""
    new = {key: _map_key(key) for key in sd}
    return {new[k]: v for k, v in sd.items() if new[k]}, [k for k in sd if new[k] is None]


def split_official_state_dict(sd: Mapping[str, torch.Tensor]):
    """(CLIP state dict, decoder state dict, other keys) of a full official checkpoint."""
    clip = {k[len(CLIP_PREFIX):]: v for k, v in sd.items() if k.startswith(CLIP_PREFIX)}
    decoder = {k[len(DECODER_PREFIX):]: v for k, v in sd.items() if k.startswith(DECODER_PREFIX)}
    other = [k for k in sd if not k.startswith((CLIP_PREFIX, DECODER_PREFIX))]
    if not clip or not decoder:
        sample = ', '.join(list(sd)[:3]) or 'no keys'
        raise OfficialCheckpointError(f'not an official ERR-Seg checkpoint: expected keys starting with '
                                      f'{CLIP_PREFIX!r} and {DECODER_PREFIX!r}, found {sample}')
    return clip, decoder, other


def convert_official_state_dict(sd: Mapping[str, torch.Tensor]):
    """Full official state dict -> (our ``ERRSeg`` state dict, unmatched official keys)."""
    clip, decoder, other = split_official_state_dict(sd)
    out = {}
    for key, value in clip.items():
        if key.startswith('visual.modify_downsample.'):
            out['backbone.os16_downsample.' + key[len('visual.modify_downsample.'):]] = value
        elif key != 'attn_mask':  # a buffer OpenCLIP rebuilds
            out['backbone.clip.' + key] = value
    head, unmatched = convert_decoder_state_dict(decoder)
    out.update({'decode_head.' + k: v for k, v in head.items()})
    return out, [DECODER_PREFIX + k for k in unmatched] + other


def head_config_from_official(cfg: Mapping) -> dict:
    """Official ``Decoder`` constructor arguments -> ``ERRSegHead`` arguments."""
    dim = cfg['aggregator_dim']
    for key in ('corr_fpn_fusion_dim', 'guidance_fpn_fusion_dim', 'text_guidance_proj_dim'):
        if cfg.get(key, dim) != dim:
            raise OfficialCheckpointError(f'{key}={cfg[key]} differs from aggregator_dim={dim}; the '
                                          'official blocks only work when they are equal')
    image_dims = list(cfg['image_guidance_dims'])  # os32, os16, os8, os4
    if list(cfg['decoder_guidance_dims']) != image_dims[1:]:
        raise OfficialCheckpointError('decoder_guidance_dims must be image_guidance_dims[1:]')
    ratios = list(cfg['aggregator_scale_ratio'])
    return dict(embed_dim=cfg['text_guidance_dim'], guidance_dims=tuple(image_dims[::-1]),
                num_selected=cfg['sample_classes_num'], cost_embed_dim=cfg['corr_fpn_inter_dim'],
                dim=dim, guidance_inter_dim=cfg['guidance_fpn_inter_dim'], num_layers=len(ratios),
                sr_ratio=ratios, decoder_dims=tuple(cfg['decoder_dims']),
                decoder_guidance_dims=tuple(cfg['guidance_proj_dims']))


def infer_head_config(decoder_sd: Mapping[str, torch.Tensor]) -> dict:
    """``ERRSegHead`` arguments read off an official decoder state dict's shapes (heads and CSR pooling leave
    no trace in shapes: the official 4 and 2 are assumed)."""
    s = {k: tuple(v.shape) for k, v in decoder_sd.items()}
    try:
        layers = sorted({int(k.split('.')[1]) for k in s if k.startswith('aggregator_layers.')})
        ratios = [s.get(f'aggregator_layers.{i}.spatial_fusion.sa.attention.sr_k.weight', (0, 0, 1, 1))[-1]
                  for i in layers]
        agg = [s[f'img_guidance_projection_agg.{i}.0.weight'][1] for i in range(2)]
        dec = [s[f'img_guidance_projection_dec.{i}.0.weight'] for i in range(3)]
        decoder_dims = (s['up_decoder1.up_conv.weight'][0], s['up_decoder2.up_conv.weight'][1],
                        s['up_decoder3.up_conv.weight'][1])
        star = 'aggregator_layers.0.spatial_fusion.sa.mlp.fc2.weight' in s
        return dict(embed_dim=s['text_guidance_projection.0.weight'][1],
                    guidance_dims=(dec[2][1], dec[1][1], agg[1], agg[0]),
                    cost_embed_dim=s['corr_proj_convs.0.0.weight'][0],
                    dim=s['text_guidance_projection.0.weight'][0],
                    guidance_inter_dim=s['img_guidance_projection_agg.0.0.weight'][0],
                    num_layers=len(layers), sr_ratio=ratios, decoder_dims=decoder_dims,
                    decoder_guidance_dims=tuple(d[0] for d in dec),
                    mlp_type='star' if star else 'vanilla')
    except KeyError as e:
        raise OfficialCheckpointError(f'not an official ERR-Seg decoder state dict: no key {e}') from None


# ---------------------------------------------------------------------------- whole checkpoints
def infer_clip_model_name(clip_sd: Mapping[str, torch.Tensor]) -> str:
    """The OpenCLIP ConvNeXt architecture whose shapes match a CLIP state dict."""
    import open_clip
    import timm
    try:
        want = dict(
            widths=tuple(clip_sd[f'visual.trunk.stages.{i}.blocks.0.conv_dw.weight'].shape[0] for i in range(4)),
            depths=tuple(sum(k.startswith(f'visual.trunk.stages.{i}.blocks.') and k.endswith('.conv_dw.weight')
                             for k in clip_sd) for i in range(4)),
            embed_dim=clip_sd['text_projection'].shape[1],
            text_width=clip_sd['positional_embedding'].shape[1],
            text_layers=len({k.split('.')[2] for k in clip_sd if k.startswith('transformer.resblocks.')}),
            proj='mlp' if 'visual.head.mlp.fc1.weight' in clip_sd else 'linear')
    except KeyError as e:
        raise OfficialCheckpointError(f'the CLIP weights are not an OpenCLIP ConvNeXt: no key {e}') from None
    matches = []
    for name in open_clip.list_models():
        cfg = open_clip.get_model_config(name)
        vision, text = cfg.get('vision_cfg', {}), cfg.get('text_cfg', {})
        if 'convnext' not in vision.get('timm_model_name', '') or cfg.get('embed_dim') != want['embed_dim'] \
                or (text.get('width'), text.get('layers')) != (want['text_width'], want['text_layers']) \
                or vision.get('timm_proj', 'linear') != want['proj']:
            continue
        with torch.device('meta'):
            trunk = timm.create_model(vision['timm_model_name'])
        if (tuple(i['num_chs'] for i in trunk.feature_info) == want['widths']
                and tuple(len(s.blocks) for s in trunk.stages) == want['depths']):
            matches.append(name)
    if not matches:
        raise OfficialCheckpointError(f'no OpenCLIP ConvNeXt architecture matches the CLIP weights {want}')
    official = [m for m in matches if m in ('convnext_base_w_320', 'convnext_large_d_320')]
    return (official or matches)[0]


def official_eval_crop(clip_model_name: str) -> Tuple[int, int]:
    """(H, W) the official evaluation resizes images to (``eval.sh``: 768 for ERR-Seg-L, 640 otherwise)."""
    size = 768 if clip_model_name == 'convnext_large_d_320' else 640
    return size, size


def convert_official_checkpoint(src: str):
    """Convert an official ERR-Seg checkpoint file (detectron2 ``model``, ``state_dict`` or bare).

    Returns:
        (state dict in our layout, meta for the mmengine checkpoint, unmatched official keys); ``meta['errseg']``
        holds the CLIP architecture, the head dims and the official evaluation's ``crop_size`` for them.
    """
    sd = read_checkpoint(src)
    for key in ('model', 'state_dict'):
        if isinstance(sd, dict) and isinstance(sd.get(key), dict):
            sd = sd[key]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise OfficialCheckpointError(f'{src}: holds no state dict of tensors')
    sd = {k[7:] if k.startswith('module.') else k: v for k, v in sd.items()}
    ours, unmatched = convert_official_state_dict(sd)
    clip, decoder, _ = split_official_state_dict(sd)
    name = infer_clip_model_name(clip)
    meta = dict(errseg=dict(converted_from=str(src).replace('\\', '/').rsplit('/', 1)[-1],
                            clip_model_name=name, head_config=infer_head_config(decoder),
                            crop_size=list(official_eval_crop(name))))
    return ours, meta, unmatched


class KeyReport(NamedTuple):
    missing: List[str]      # the model has them, the state dict does not
    unexpected: List[str]   # the state dict has them, the model does not
    mismatched: List[Tuple[str, tuple, tuple]]  # (key, state dict shape, model shape)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def lines(self, limit: int = 10) -> List[str]:
        out = [f'{len(items)} keys {title}: {", ".join(items[:limit])}' + (' ...' if len(items) > limit else '')
               for title, items in (('missing in the checkpoint', self.missing), ('not in the model', self.unexpected))
               if items]
        return out + [f'shape of {key}: checkpoint {got}, model {want}' for key, got, want in self.mismatched[:limit]]


def compare_state_dict(state: Mapping[str, torch.Tensor], model_state: Dict[str, torch.Tensor]) -> KeyReport:
    """Keys missing from ``state``, keys the model lacks, and shapes that differ."""
    missing = [k for k in model_state if k not in state]
    unexpected = [k for k in state if k not in model_state]
    mismatched = [(k, tuple(getattr(v, 'shape', ())), tuple(model_state[k].shape)) for k, v in state.items()
                  if k in model_state and tuple(getattr(v, 'shape', ())) != tuple(model_state[k].shape)]
    return KeyReport(missing, unexpected, mismatched)
