"""Test helper: write our weights in the official ERR-Seg layout (the inverse of the converter).

Lets tests build official-format checkpoints and golden files of any size from a tiny model.
"""
import re

import torch

_REVERSE = [
    (r'rrhc\.cost_embed\.(\d+)\.', r'corr_proj_convs.\1.0.'),
    (r'rrhc\.cost_fusion\.', 'low_corr_fusion.'),
    (r'rrca\.image_guidance_proj\.', 'img_guidance_projection_agg.'),
    (r'rrca\.image_guidance_fusion\.', 'low_img_fusion.'),
    (r'rrca\.text_guidance_proj\.', 'text_guidance_projection.'),
    (r'rrca\.layers\.(\d+)\.spatial\.attn\.', r'aggregator_layers.\1.spatial_fusion.sa.attention.'),
    (r'rrca\.layers\.(\d+)\.spatial\.mlp\.dwconv\.', r'aggregator_layers.\1.spatial_fusion.sa.mlp.dwconv.dwconv.'),
    (r'rrca\.layers\.(\d+)\.spatial\.', r'aggregator_layers.\1.spatial_fusion.sa.'),
    (r'rrca\.layers\.(\d+)\.classes\.attn\.', r'aggregator_layers.\1.class_fusion.sa.attention.'),
    (r'rrca\.layers\.(\d+)\.classes\.', r'aggregator_layers.\1.class_fusion.sa.'),
    (r'decoder\.guidance_proj\.', 'img_guidance_projection_dec.'),
    (r'decoder\.blocks\.(\d)\.up\.', lambda m: f'up_decoder{int(m[1]) + 1}.up_conv.'),
    (r'decoder\.blocks\.(\d)\.fuse\.', lambda m: f'up_decoder{int(m[1]) + 1}.textual_fusion.'),
    (r'decoder\.head\.', 'head.'),
]


def to_official_decoder(head_state):
    out = {}
    for key, value in head_state.items():
        for pattern, repl in _REVERSE:
            m = re.match(pattern, key)
            if m:
                new = repl(m) if callable(repl) else m.expand(repl)
                out[new + key[m.end():]] = value.clone()
                break
        else:
            raise KeyError(key)
    return out


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
