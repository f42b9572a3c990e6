"""Peak memory of a block of work: CUDA max allocated, or the process's peak RSS on CPU.

On CUDA the allocator's peak statistics are reset at entry. On Linux CPUs the
kernel's resident-set high-water mark (``VmHWM``) is reset through
``/proc/self/clear_refs`` after returning freed heap pages to the system
(glibc ``malloc_trim``), so the peak covers only the block and the baseline is
what the process really holds at entry. Elsewhere the lifetime peak
(``ru_maxrss``) is the only figure available; it is labelled as such.
"""
import ctypes
import ctypes.util
import gc
import re
import resource
import sys
from dataclasses import asdict, dataclass
from typing import Optional

import torch

__all__ = ['MemoryStats', 'PeakMemory', 'current_rss']

_STATUS = '/proc/self/status'


@dataclass
class MemoryStats:
    """Memory of one measured block, in bytes.

    Attributes:
        kind: 'cuda_max_allocated', 'cpu_peak_rss' (reset at entry) or
            'cpu_lifetime_peak_rss' (could not be reset: an upper bound).
        peak: Peak during the block (allocated tensors on CUDA; resident set on CPU).
        baseline: The same quantity at entry (weights, cached text, the runtime).
        delta: ``peak - baseline``: what the block itself needed at its peak.
    """
    kind: str
    peak: int
    baseline: int

    @property
    def delta(self) -> int:
        return max(self.peak - self.baseline, 0)

    def to_dict(self) -> dict:
        return dict(asdict(self), delta=self.delta)


def _status_kib(field: str) -> Optional[int]:
    try:
        with open(_STATUS) as f:
            match = re.search(rf'^{field}:\s+(\d+) kB', f.read(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def current_rss() -> Optional[int]:
    """Resident set size of this process in bytes (None where /proc is unavailable)."""
    kib = _status_kib('VmRSS')
    return None if kib is None else kib * 1024


def _trim_heap() -> None:
    gc.collect()
    libc_name = ctypes.util.find_library('c')
    if libc_name and sys.platform.startswith('linux'):
        try:
            ctypes.CDLL(libc_name).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc
            pass


def _lifetime_peak_rss() -> int:
    # ru_maxrss is KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == 'darwin' else 1024)


def _reset_rss_peak() -> bool:
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # 5: reset the peak resident set size
    except OSError:
        return False
    return _status_kib('VmHWM') is not None


class PeakMemory:
    """Context manager measuring the peak memory of its block.

    Args:
        device: The device the work runs on ('cpu', 'cuda', 'cuda:1', ...).

    Example:
        >>> with PeakMemory('cpu') as mem:
        ...     model(x)
        >>> mem.stats.delta
    """

    def __init__(self, device):
        self.device = torch.device(device)
        self.stats: Optional[MemoryStats] = None

    def __enter__(self) -> 'PeakMemory':
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._baseline = torch.cuda.memory_allocated(self.device)
        else:
            _trim_heap()
            self._resettable = _reset_rss_peak()
            self._baseline = current_rss() if self._resettable else _lifetime_peak_rss()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
            self.stats = MemoryStats('cuda_max_allocated', peak, self._baseline)
        elif self._resettable:
            self.stats = MemoryStats('cpu_peak_rss', _status_kib('VmHWM') * 1024, self._baseline)
        else:
            self.stats = MemoryStats('cpu_lifetime_peak_rss', _lifetime_peak_rss(), self._baseline)
