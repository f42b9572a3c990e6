from .official import (CLIP_PREFIX, DECODER_PREFIX, OfficialCheckpointError,
                       convert_decoder_state_dict, convert_official_state_dict,
                       head_config_from_official, infer_head_config, split_official_state_dict)

__all__ = [
    'OfficialCheckpointError', 'convert_decoder_state_dict', 'convert_official_state_dict',
    'head_config_from_official', 'infer_head_config', 'split_official_state_dict', 'CLIP_PREFIX',
    'DECODER_PREFIX'
]
