"""Conversion of the public raw releases into the prepared layout (``errseg prepare``)."""
from .convert import LINK_MODES, PrepareReport, SplitReport, prepare
from .releases import READERS

__all__ = ['prepare', 'READERS', 'LINK_MODES', 'PrepareReport', 'SplitReport']
