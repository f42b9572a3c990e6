"""Test helper: write our weights in the official ERR-Seg layout (the inverse of the converter).

Lets tests build official-format checkpoints and golden files of any size from a tiny model.
"""
import re
from pathlib import Path
from typing import Dict, List, Tuple

import torch

from mmseg_errseg.converters.official import convert_decoder_state_dict

OFFICIAL_KEYS = Path(__file__).parent / 'data' / 'golden' / 'official_state_dict_keys.txt'


def official_decoder_keys() -> List[Dict[str, Tuple[int, ...]]]:
    """The official decoder keys and shapes of the golden key list, one dict per listed model.

    Sections are headed ``# Decoder state_dict, ...`` (ConvNeXt-B, then ConvNeXt-L dims).
    """
    sections, current = [], None
    for line in OFFICIAL_KEYS.read_text().splitlines():
        if line.startswith('# Decoder state_dict'):
            current = {}
            sections.append(current)
        elif line.startswith('#') or not line.strip():
            current = None if line.startswith('# CLIP') else current
        elif current is not None:
            key, shape = line.split('\t')
            current[key] = tuple(int(d) for d in re.findall(r'\d+', shape))
    return sections


def _our_key_to_official() -> Dict[str, str]:
    # The converter's own map applied to the official names: a rule that is wrong shows up as
    # an official key it leaves unmatched or maps to a name our head does not have.
    names = {key: key for section in official_decoder_keys() for key in section}
    ours, unmatched = convert_decoder_state_dict(names)
    assert not unmatched, f'the converter does not map official keys {unmatched}'
    return ours


def to_official_decoder(head_state):
    """Our ``ERRSegHead`` state dict -> the official decoder's, by the inverse of the converter's map."""
    inverse = _our_key_to_official()
    missing = [k for k in head_state if k not in inverse]
    if missing:
        raise KeyError(f'head keys with no official counterpart in {OFFICIAL_KEYS.name}: {missing}')
    return {inverse[k]: v.clone() for k, v in head_state.items()}


def to_official_checkpoint(model_state):
    out = {}
    for key, value in model_state.items():
        if key.startswith('backbone.clip.'):
            out['sem_seg_head.clip_model.' + key[len('backbone.clip.'):]] = value.clone()
        elif key.startswith('backbone.os16_downsample.'):
            out['sem_seg_head.clip_model.visual.modify_downsample.' + key[len('backbone.os16_downsample.'):]] = value.clone()
    head = {k[len('decode_head.'):]: v for k, v in model_state.items() if k.startswith('decode_head.')}
    out.update({'sem_seg_head.decoder.' + k: v for k, v in to_official_decoder(head).items()})
    return out


def official_decoder_config(head):
    """The official Decoder constructor arguments of one of our heads."""
    rrca, dec = head.rrca, head.decoder
    return dict(
        corr_fpn_inter_dim=head.rrhc.cost_embed[0].out_channels,
        corr_fpn_fusion_dim=head.rrhc.cost_fusion.out_channels,
        guidance_fpn_inter_dim=rrca.image_guidance_fusion.in_channels,
        guidance_fpn_fusion_dim=rrca.image_guidance_fusion.out_channels,
        image_guidance_dims=[p[0].in_channels for p in rrca.image_guidance_proj] + [p[0].in_channels for p in dec.guidance_proj][1:],
        decoder_guidance_dims=[p[0].in_channels for p in dec.guidance_proj],
        guidance_proj_dims=[p[0].out_channels for p in dec.guidance_proj],
        text_guidance_dim=rrca.text_guidance_proj[0].in_features,
        text_guidance_proj_dim=rrca.text_guidance_proj[0].out_features,
        aggregator_scale_ratio=[layer.spatial.attn.sr_ratio for layer in rrca.layers],
        aggregator_dim=head.rrhc.cost_fusion.out_channels,
        decoder_dims=[b.fuse[0].out_channels for b in dec.blocks],
        sample_classes_num=head.num_selected)


def as_tensors(config):
    return {k: torch.tensor(v) if isinstance(v, list) else v for k, v in config.items()}
