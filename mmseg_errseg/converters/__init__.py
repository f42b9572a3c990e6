"""Official ERR-Seg checkpoints to this package's layout, and state dicts checked against a model."""
from .official import (KeyReport, OfficialCheckpointError, compare_state_dict, convert_decoder_state_dict,
                       convert_official_checkpoint, convert_official_state_dict, head_config_from_official,
                       infer_head_config, official_eval_crop)

__all__ = [
    'KeyReport', 'compare_state_dict', 'OfficialCheckpointError', 'convert_decoder_state_dict',
    'convert_official_checkpoint', 'convert_official_state_dict', 'head_config_from_official', 'infer_head_config',
    'official_eval_crop'
]
