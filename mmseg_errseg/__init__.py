"""ERR-Seg for MMSegmentation."""
from . import compat

compat.apply()  # before anything imports mmseg.models

from .datasets import *  # noqa: E402,F401,F403  (registers datasets and transforms)
from .engine import *  # noqa: E402,F401,F403  (registers hooks)
from .evaluation import *  # noqa: E402,F401,F403  (registers metrics)
from .models import *  # noqa: E402,F401,F403  (registers the models)
from .version import __version__  # noqa: E402

__all__ = ['__version__']
