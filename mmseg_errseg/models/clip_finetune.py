"""Which CLIP parameters are trained (official 'weight' strategy, its image-only form, 'full', 'frozen')."""
import torch.nn as nn

__all__ = ['FINETUNE_STRATEGIES', 'set_clip_finetune', 'is_weight_strategy_trainable']

FINETUNE_STRATEGIES = ('weight', 'weight_visual', 'full', 'frozen')


def is_weight_strategy_trainable(name: str) -> bool:
    """The official 'weight' rule, on parameter names of an OpenCLIP CLIP model.

    Visual tower: layer-scale ``gamma`` and the weights (not biases) of the
    ConvNeXt MLPs and depth-wise convs (and of an MLP projection head, as in
    ConvNeXt-L). Text tower: attention ``in_proj_weight`` and MLP ``c_fc.weight``.
    """
    if 'visual' in name:
        return 'gamma' in name or (
            any(key in name for key in ('mlp', 'conv_dw', 'down_sampling')) and 'weight' in name)
    if 'transformer' in name:
        return 'in_proj_weight' in name or 'c_fc.weight' in name
    return False


def set_clip_finetune(clip: nn.Module, strategy: str) -> None:
    """Set ``requires_grad`` of an OpenCLIP model's parameters for ``strategy``."""
    if strategy not in FINETUNE_STRATEGIES:
        raise ValueError(f'finetune must be one of {FINETUNE_STRATEGIES}, got {strategy!r}')
    for name, param in clip.named_parameters():
        param.requires_grad = (strategy == 'full' or
                               strategy == 'weight' and is_weight_strategy_trainable(name) or
                               # Table 3's "Img. ✓ Txt. ×" rows: the image tower only, text tower frozen
                               strategy == 'weight_visual' and 'visual' in name and is_weight_strategy_trainable(name))
