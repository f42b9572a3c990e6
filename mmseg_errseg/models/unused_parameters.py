"""Which model configs leave trainable parameters without a gradient (DDP's ``find_unused_parameters``)."""
from typing import Mapping

__all__ = ['has_unused_parameters']


def has_unused_parameters(model_cfg: Mapping) -> bool:
    """True when a training step of this ERR-Seg config leaves a trainable parameter unused.

    DDP needs ``find_unused_parameters=True`` exactly then (the search costs a
    graph traversal every step otherwise). Unused are: CLIP parameters no
    output depends on under ``finetune='full'`` (e.g. ``logit_scale``), the image
    guidance projections without spatial aggregation, and the text guidance
    projection without class aggregation (Table 10).

    Args:
        model_cfg: The ``model`` dict of a config (:class:`~mmseg_errseg.models.ERRSeg`).
    """
    backbone = model_cfg.get('backbone') or {}
    head = model_cfg.get('decode_head') or {}
    return (backbone.get('finetune', 'weight') == 'full' or not head.get('spatial_aggregation', True)
            or not head.get('class_aggregation', True))
