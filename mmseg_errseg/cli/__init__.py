"""``errseg``: the command line of mmseg-errseg.

Each sub-command is a module of this package exposing ``add_parser(subparsers)``;
heavy imports happen only when a command runs, so ``errseg --help`` is fast.
"""
import argparse
import importlib
import sys
from typing import List, Optional

__all__ = ['main', 'COMMANDS', 'CommandError']

#: sub-command -> module (in this package) implementing it
COMMANDS = {
    'convert-official': 'convert_official',
    'check-golden': 'check_golden',
    'similarity': 'similarity',
    'seen-unseen': 'seen_unseen',
    'infer': 'infer',
    'prepare': 'prepare',
    'test': 'test',
    'dataset-stats': 'dataset_stats',
    'reproduce': 'reproduce',
    'profile': 'profile',
    'demo': 'demo',
}


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog='errseg', description='ERR-Seg for MMSegmentation: conversion, conformance, '
        'evaluation, inference, profiling and the paper-reproduction harness.')
    parser.add_argument('--debug', action='store_true', help='show tracebacks of errors')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)
    for module in COMMANDS.values():
        importlib.import_module(f'{__name__}.{module}').add_parser(sub)
    parser.add_argument('--keep-malloc', action='store_true',
                        help="leave glibc's malloc as is (by default freed memory is reused, which makes "
                        'CPU runs faster; see mmseg_errseg.runtime)')
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the command as typed (provenance)
    if not args.keep_malloc:
        from ..runtime import reuse_freed_memory
        reuse_freed_memory()
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print(f'errseg {args.command}: interrupted', file=sys.stderr)
        return 130
    except (CommandError, ValueError, OSError, KeyError, RuntimeError) as e:
        if args.debug:
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'errseg {args.command}: error: {message}', file=sys.stderr)
        return 1
