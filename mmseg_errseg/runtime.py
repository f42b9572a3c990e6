"""Process-level settings that make CPU inference faster without changing any number.

glibc serves allocations above 32 MB with fresh ``mmap`` pages and returns them on ``free``, so each of an
ERR-Seg forward's large short-lived tensors is zero-filled again page by page (~5 s of system time per
ERR-Seg-B forward at A-847 on 2 cores). Keeping freed memory in the heap removes most of those faults;
the process then keeps its peak memory until it exits, which suits inference, evaluation and profiling.
"""
import ctypes
import ctypes.util
import functools
import platform

__all__ = ['reuse_freed_memory']

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


@functools.lru_cache(maxsize=None)
def reuse_freed_memory() -> bool:
    """Make glibc's malloc reuse freed memory instead of mapping fresh pages (once per process).

    Returns:
        True if applied (Linux with glibc), False otherwise (nothing changed).
    """
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, 1 << 40))
    except (OSError, AttributeError):
        return False
