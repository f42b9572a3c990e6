"""Atomic file writes: a file is either absent, its old version, or complete.

Each writer writes a temporary file beside the target and renames it over the
target, so an interrupted run never leaves a truncated table, split or plot.
"""
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Union

__all__ = ['atomic_path', 'write_text', 'write_json', 'write_frame_csv', 'save_figure']

PathLike = Union[str, Path]
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """A temporary path to write; renamed to ``path`` when the block succeeds.

    Args:
        path: The target file; its folder is created.

    Yields:
        The temporary path (same folder and suffix as the target).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding='utf-8')
    return Path(path)


def write_json(path: PathLike, obj) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically; returns the path."""
    return write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + '\n')


def write_frame_csv(path: PathLike, frame, **kwargs) -> Path:
    """Write a pandas DataFrame as CSV atomically; returns the path."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, **kwargs)
    return Path(path)


def save_figure(path: PathLike, fig, **kwargs) -> Path:
    """Save a matplotlib figure atomically (format from the suffix); returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip('.') or 'png', **kwargs)
    return path
