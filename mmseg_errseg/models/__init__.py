from .class_reduction import class_scores, gather_classes, scatter_classes, select_classes
from .clip_convnext import CLIPFeatures, OpenCLIPConvNeXt
from .clip_finetune import FINETUNE_STRATEGIES, set_clip_finetune
from .cost_maps import cosine_cost_map
from .errseg import CLIP_MEAN, CLIP_STD, ERRSeg
from .errseg_head import ERRSegHead
from .errseg_loss import ERRSegBCELoss, errseg_bce_loss
from .guided_attention import concatenated_guidance
from .prompts import DEFAULT_TEMPLATE, build_prompts, check_vocabulary
from .rrca import RRCA
from .rrhc import RRHC
from .unused_parameters import has_unused_parameters
from .upsampling_decoder import UpsamplingDecoder

__all__ = [
    'OpenCLIPConvNeXt', 'ERRSegHead', 'ERRSeg', 'CLIPFeatures', 'RRHC', 'RRCA', 'UpsamplingDecoder',
    'class_scores', 'select_classes', 'gather_classes', 'scatter_classes', 'cosine_cost_map',
    'errseg_bce_loss', 'ERRSegBCELoss', 'set_clip_finetune', 'FINETUNE_STRATEGIES', 'build_prompts',
    'check_vocabulary', 'DEFAULT_TEMPLATE', 'concatenated_guidance', 'has_unused_parameters', 'CLIP_MEAN', 'CLIP_STD'
]
