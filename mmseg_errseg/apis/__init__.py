"""Inference on one's own images with one's own vocabulary (``mmseg.apis`` style)."""
from .checkpoint import NotAnERRSegCheckpointError, config_from_checkpoint, load_checked_state, load_errseg_checkpoint
from .inferencer import OUTPUT_SUFFIXES, ERRSegInferencer, ImageResult
from .overlay import LegendEntry, make_palette

__all__ = ['ERRSegInferencer', 'ImageResult', 'LegendEntry', 'OUTPUT_SUFFIXES', 'NotAnERRSegCheckpointError',
           'config_from_checkpoint', 'load_checked_state', 'load_errseg_checkpoint', 'make_palette']
