"""Atomic file writes: a file is either absent, its old version, or complete.

Every writer of the project goes through :func:`atomic_path`: a temporary file beside the target, flushed,
given the permissions a plain ``open()`` would give (``mkstemp``'s 0600 would lock other users out of a
shared data root), and renamed over the target.
"""
import json
import os
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Iterator, Union

__all__ = ['atomic_path', 'write_bytes', 'write_text', 'write_json']

PathLike = Union[str, Path]


def _fsync(path: PathLike) -> None:
    """Flush a file, or a folder's entries (best effort: not every platform opens or syncs folders)."""
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` (folder created) for writers that take a path (PIL, pandas, torch).

    It has the target's suffix (writers pick the format from it). When the block succeeds it becomes
    ``path``; when it fails it is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _fsync(tmp)
        mask = os.umask(0o022)  # the umask can only be read by setting it
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    _fsync(path.parent)


def write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    return write_bytes(path, text.encode('utf-8'))


def write_json(path: PathLike, obj: Any, indent: int = 1) -> Path:
    """Write ``obj`` as strict JSON and a final newline; returns the path.

    Raises:
        ValueError: ``obj`` holds a NaN or an infinity (write ``None`` for "undefined").
    """
    return write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False) + '\n')
