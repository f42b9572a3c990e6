"""The ``errseg`` console script: the command line is parsed before the package is imported.

Importing :mod:`mmseg_errseg` registers its models, datasets and metrics in MMSeg's registries
(what ``custom_imports=dict(imports=['mmseg_errseg'])`` relies on), which imports torch and
MMSeg: seconds. The command table and argument definitions (:mod:`mmseg_errseg.cli`) need none of
it, so the package is put in ``sys.modules`` with its ``__init__`` not yet run, and
:func:`mmseg_errseg.cli.main` runs it once a command is about to run: ``errseg --help`` and usage
errors take a fraction of a second.
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
