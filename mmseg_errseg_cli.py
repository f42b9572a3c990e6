"""The ``errseg`` console script: parses the command line before the package is imported.

Importing :mod:`mmseg_errseg` registers it in MMSeg's registries (torch, MMSeg: seconds), which the
command table and arguments do not need: the package's ``__init__`` runs once a command is about to run.
"""
import importlib.util
import sys
from typing import List, Optional

__all__ = ['main']


def main(argv: Optional[List[str]] = None) -> int:
    """Run ``errseg`` (see :func:`mmseg_errseg.cli.main`)."""
    load = None
    if 'mmseg_errseg' not in sys.modules:
        spec = importlib.util.find_spec('mmseg_errseg')
        package = sys.modules['mmseg_errseg'] = importlib.util.module_from_spec(spec)

        def load():
            spec.loader.exec_module(package)
    from mmseg_errseg.cli import main as run
    return run(argv, load_package=load)


if __name__ == '__main__':
    sys.exit(main())
