"""Conversion of the public raw releases into the prepared layout (``errseg prepare``)."""
from .convert import LINK_MODES, PrepareReport, SplitReport, prepare

__all__ = ['prepare', 'LINK_MODES', 'PrepareReport', 'SplitReport']
