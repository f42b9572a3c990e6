"""Optimizer parameter groups with the official (detectron2) weight decay on norms and embeddings."""
import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['ERRSegOptimWrapperConstructor']

_NO_DECAY_TYPES = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.GroupNorm,
                   nn.LayerNorm, nn.LocalResponseNorm, nn.Embedding)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ERRSegOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, with ``norm_decay_mult`` applied inside custom keys too.

    mmengine skips it for parameters a custom key matches, so with the official ``backbone`` lr multiplier
    the CLIP norms and token embedding would get weight decay under ``finetune='full'``. As the official
    code (``WEIGHT_DECAY_NORM = WEIGHT_DECAY_EMBEDDING = 0``), every parameter of a norm layer or
    ``nn.Embedding`` gets ``norm_decay_mult * weight_decay``.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        wrapper = super().__call__(model)
        mult = self.paramwise_cfg.get('norm_decay_mult')
        if mult is None or self.base_wd is None:
            return wrapper
        no_decay = {id(p) for m in model.modules() if isinstance(m, _NO_DECAY_TYPES)
                    for p in m.parameters(recurse=False)}
        for group in wrapper.optimizer.param_groups:  # one parameter per group with a paramwise_cfg
            if all(id(p) in no_decay for p in group['params']):
                group['weight_decay'] = self.base_wd * mult
        return wrapper
