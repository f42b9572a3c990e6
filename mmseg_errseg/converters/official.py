"""Official ERR-Seg (detectron2) checkpoints -> this package's layout.

An official checkpoint holds ``sem_seg_head.clip_model.*`` (the OpenCLIP model,
plus ``visual.modify_downsample``) and ``sem_seg_head.decoder.*`` (the decoder).
Their key names are listed in the golden data's ``official_state_dict_keys.txt``.
"""
import re
from typing import Callable, Dict, List, Mapping, Tuple, Union

import torch

__all__ = [
    'OfficialCheckpointError', 'convert_decoder_state_dict', 'convert_official_state_dict',
    'head_config_from_official', 'infer_head_config', 'split_official_state_dict',
    'CLIP_PREFIX', 'DECODER_PREFIX'
]

CLIP_PREFIX = 'sem_seg_head.clip_model.'
DECODER_PREFIX = 'sem_seg_head.decoder.'

_Rule = Tuple[str, Union[str, Callable[[re.Match], str]]]
# Official decoder key (regex on its start) -> our ERRSegHead key. First match wins.
DECODER_RULES: List[_Rule] = [
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
_COMPILED = [(re.compile(pattern), repl) for pattern, repl in DECODER_RULES]


class OfficialCheckpointError(ValueError):
    """The input is not an official ERR-Seg checkpoint (or decoder state dict)."""


def _map_key(key: str) -> Union[str, None]:
    for pattern, repl in _COMPILED:
        m = pattern.match(key)
        if m:
            new = repl(m) if callable(repl) else m.expand(repl)
            return new + key[m.end():]
    return None


def convert_decoder_state_dict(sd: Mapping[str, torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Official ``Decoder`` state dict -> (``ERRSegHead`` state dict, unmatched official keys)."""
    out, unmatched = {}, []
    for key, value in sd.items():
        new = _map_key(key)
        if new is None:
            unmatched.append(key)
        else:
            out[new] = value
    return out, unmatched


def split_official_state_dict(sd: Mapping[str, torch.Tensor]):
    """(CLIP state dict, decoder state dict, other keys) of a full official checkpoint."""
    clip = {k[len(CLIP_PREFIX):]: v for k, v in sd.items() if k.startswith(CLIP_PREFIX)}
    decoder = {k[len(DECODER_PREFIX):]: v for k, v in sd.items() if k.startswith(DECODER_PREFIX)}
    other = [k for k in sd if not k.startswith((CLIP_PREFIX, DECODER_PREFIX))]
    if not clip or not decoder:
        sample = ', '.join(list(sd)[:3]) or 'no keys'
        raise OfficialCheckpointError(
            f'not an official ERR-Seg checkpoint: expected keys starting with {CLIP_PREFIX!r} and '
            f'{DECODER_PREFIX!r}, found {sample}')
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
    """``ERRSegHead`` arguments read off an official decoder state dict's shapes.

    Heads (4) and CSR pooling (2) leave no trace in shapes; the official values are assumed.
    """
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
