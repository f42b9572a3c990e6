"""Code fingerprints: what, besides its key (resolved config and parameters), determines a run's result.

Per run kind: the sha256 of every source file of the parts of the package the kind executes (never
docs, views, plots or the command line) and the versions of the libraries it runs on. Every record is
stamped with its kind's fingerprint; a record whose stamp differs from the code now is stale.
"""
import hashlib
import subprocess
from pathlib import Path
from typing import Dict, Optional, Tuple

from ..utils import package_version

__all__ = ['PARTS', 'KIND_PARTS', 'LIBRARIES', 'source_root', 'code_fingerprint', 'changed_parts']

#: The parts of the package, as paths below it (folders: every file in them).
PARTS: Dict[str, Tuple[str, ...]] = {
    'model': ('models', 'engine', 'vocabularies.py', 'class_names', 'compat.py', 'runtime.py'),
    'data': ('datasets',),
    'evaluation': ('evaluation',),
    'profiling': ('profiling',),
    'analysis': ('analysis/dataset_stats.py', 'analysis/similarity.py', 'analysis/text_encoders.py'),
}
#: The parts (and the harness module) each run kind executes.
KIND_PARTS: Dict[str, Tuple[str, ...]] = {
    'train': ('model', 'data', 'harness/train_run.py'),
    'eval': ('model', 'data', 'evaluation', 'harness/eval_run.py', 'harness/train_run.py'),  # and its training's
    'profile': ('model', 'data', 'profiling', 'harness/profile_run.py'),
    'analysis': ('data', 'evaluation', 'analysis', 'harness/analysis_run.py'),
}
#: Distributions whose versions enter every fingerprint (name in the stamp -> distribution names).
LIBRARIES = {'torch': ('torch',), 'mmseg': ('mmsegmentation',), 'mmengine': ('mmengine',),
             'mmcv': ('mmcv', 'mmcv-lite'), 'open_clip': ('open_clip_torch',)}
_SUFFIXES = ('.py', '.json', '.txt')


def source_root() -> Path:
    """The package folder whose files are fingerprinted (tests point it at a copy)."""
    return Path(__file__).resolve().parents[1]


def _hash_files(root: Path, entries) -> str:
    """sha256 over the relative path and content of every file of ``entries`` (a folder: its source files)."""
    h = hashlib.sha256()
    for entry in map(root.joinpath, entries):
        files = [entry] if entry.is_file() else sorted(
            p for p in entry.rglob('*') if p.suffix in _SUFFIXES and '__pycache__' not in p.parts)
        for path in files:
            h.update(path.relative_to(root).as_posix().encode() + b'\0' + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _dirty(root: Path, entries) -> Optional[bool]:
    """Whether git sees uncommitted changes in these files (``None``: not a git checkout)."""
    try:
        done = subprocess.run(['git', 'status', '--porcelain', '--', *entries], cwd=root, capture_output=True,
                              text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(done.stdout.strip()) if done.returncode == 0 else None


def code_fingerprint(kind: str) -> Dict[str, object]:
    """The fingerprint of the code a run kind executes, as stamped in its records: ``sha256`` (of all below),
    ``parts`` (part -> sha256 of its files), ``libraries`` (name -> version) and ``dirty`` (uncommitted
    changes in these files; ``None`` outside a git checkout)."""
    root = source_root()
    parts = {part: _hash_files(root, PARTS.get(part, (part,))) for part in KIND_PARTS[kind]}
    entries = [entry for part in KIND_PARTS[kind] for entry in PARTS.get(part, (part,))]
    libraries = {name: package_version(*dists) for name, dists in LIBRARIES.items()}
    total = hashlib.sha256(repr((sorted(parts.items()), sorted(libraries.items()))).encode()).hexdigest()
    return dict(sha256=total, parts=parts, libraries=libraries, dirty=_dirty(root, entries))


def changed_parts(stamp: Optional[dict], now: dict) -> str:
    """What differs between a record's stamp and the code now, in words ('' if nothing)."""
    if not stamp or 'sha256' not in stamp:
        return 'made before records carried a code fingerprint'
    if stamp['sha256'] == now['sha256']:
        return ''
    changed = [f'{p} code' for p in now['parts'] if stamp.get('parts', {}).get(p) != now['parts'][p]]
    changed += [f'{n} {stamp.get("libraries", {}).get(n)} -> {v}' for n, v in now['libraries'].items()
                if stamp.get('libraries', {}).get(n) != v]
    return 'changed since the record: ' + (', '.join(changed) or 'code')
