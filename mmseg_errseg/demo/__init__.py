"""``errseg demo``: a web page to segment one's own images with one's own vocabulary."""
from .app import build_app, launch
from .session import EXAMPLES, MAX_SIDE, DemoResult, DemoSession

__all__ = ['DemoResult', 'DemoSession', 'EXAMPLES', 'MAX_SIDE', 'build_app', 'launch']
