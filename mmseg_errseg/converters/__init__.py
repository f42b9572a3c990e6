"""Official ERR-Seg checkpoints to this package's layout, and state dicts checked against a model."""
from . import official
from .official import *  # noqa: F401,F403

__all__ = official.__all__
