"""One direction of dependency: measure -> harness -> views -> cli; nothing imports upward, no cycle.

Every import statement of the package counts, those inside functions too (an
import moved into a function to dodge a cycle is still an edge).
"""
import ast
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / 'mmseg_errseg'
#: Layer of each top-level part (bottom 0); parts not named here measure or model (layer 0).
LAYERS = {'harness': 1, 'views': 2, 'cli': 3, 'demo': 3, '__main__': 3}


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def _is_module(name: str) -> bool:
    base = REPO.joinpath(*name.split('.'))
    return base.with_suffix('.py').is_file() or (base / '__init__.py').is_file()


def _imports(path: Path):
    """(line, imported module) of every import of the package in a file, at any depth."""
    module = _module(path)
    package = module if path.name == '__init__.py' else module.rpartition('.')[0]
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')
                base = '.'.join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            names = [f'{base}.{a.name}' if _is_module(f'{base}.{a.name}') else base for a in node.names]
        else:
            continue
        for name in names:
            if name == 'mmseg_errseg' or name.startswith('mmseg_errseg.'):
                yield node.lineno, name


def _part(module: str) -> str:
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else ''


def _graph():
    edges = {}
    for path in sorted(PACKAGE.rglob('*.py')):
        src = _module(path)
        for line, dst in _imports(path):
            if _part(src) != _part(dst) and _part(dst):
                edges.setdefault((_part(src), _part(dst)), []).append(f'{path.relative_to(REPO)}:{line}')
    return edges


def test_the_graph_is_read_from_every_import():
    edges = _graph()
    assert ('views', 'harness') in edges and ('cli', 'views') in edges and ('views', 'profiling') in edges
    assert ('harness', 'analysis') in edges  # analysis measures: below the harness


def test_nothing_imports_upward():
    upward = [f'{a} -> {b} ({", ".join(where)})' for (a, b), where in _graph().items()
              if LAYERS.get(a, 0) < LAYERS.get(b, 0)]
    assert not upward, '\n'.join(upward)


def test_no_cycle_between_parts():
    edges = _graph()
    succ = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)

    def reach(start):
        seen, stack = set(), [start]
        while stack:
            for nxt in succ.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    cycles = sorted(f'{a} <-> {b} ({", ".join(edges[a, b])})' for a, b in edges if a in reach(b))
    assert not cycles, '\n'.join(cycles)


@pytest.mark.parametrize('source', ["from ..views import write_results\n", "import mmseg_errseg.cli\n"])
def test_an_upward_import_inside_a_function_is_found(source):
    path = PACKAGE / 'harness' / 'probe_upward.py'
    body = 'def f():\n    ' + source
    lines = list(_imports_of_text(path, body))
    assert lines and _part(lines[0][1]) in ('views', 'cli')


def _imports_of_text(path: Path, text: str):
    """:func:`_imports` of a file that does not exist (the probe of the test above)."""
    class _Path(type(path)):
        def read_text(self, encoding=None):
            return text
    return _imports(_Path(path))
