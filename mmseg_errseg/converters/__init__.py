"""Official ERR-Seg checkpoints to this package's layout, and state dicts checked against a model."""
from .official import (CLIP_PREFIX, DECODER_PREFIX, OFFICIAL_EVAL_CROP, OfficialCheckpointError,
                       convert_decoder_state_dict, convert_official_state_dict, head_config_from_official,
                       infer_head_config, official_eval_crop, split_official_state_dict)

__all__ = [
    'OfficialCheckpointError', 'convert_decoder_state_dict', 'convert_official_state_dict',
    'head_config_from_official', 'infer_head_config', 'split_official_state_dict', 'CLIP_PREFIX',
    'DECODER_PREFIX', 'OFFICIAL_EVAL_CROP', 'official_eval_crop'
]
