"""Peak memory of a block of work. :class:`PeakMemory`: the tensors it allocates (workspaces included), not
what allocators cache, so SSR and CSR show as in Table 11 (CUDA ``max_memory_allocated``; on CPU the c10
allocator's events in torch's profiler, in time order). :class:`PeakRSS` (CPU): the process's resident-set
high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs`` after ``malloc_trim``; runtime and
malloc caching included), else the lifetime peak (``ru_maxrss``), labelled as such.
"""
import contextlib
import ctypes
import gc
import itertools
import os
import re
import resource
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import torch

__all__ = ['MemoryStats', 'PeakMemory', 'PeakRSS', 'module_training_memory']


@dataclass
class MemoryStats:
    """Memory of one measured block, in bytes.

    Attributes:
        kind: Live tensors: 'cuda_max_allocated' or 'cpu_tensor_peak' (``baseline`` 0: ``peak``
            counts the tensors allocated in the block). Process: 'cpu_peak_rss' (reset at entry) or
            'cpu_lifetime_peak_rss' (could not be reset: an upper bound).
        peak: Peak during the block.
        baseline: The same quantity at entry (weights, cached text, the runtime).
    """
    kind: str
    peak: int
    baseline: int

    @property
    def delta(self) -> int:
        """What the block itself needed at its peak."""
        return max(self.peak - self.baseline, 0)

    def to_dict(self) -> dict:
        return dict(asdict(self), delta=self.delta)


def _status_bytes(field: str) -> Optional[int]:
    """A field of ``/proc/self/status`` in bytes (None if absent; OSError without /proc)."""
    match = re.search(rf'^{field}:\s+(\d+) kB', Path('/proc/self/status').read_text(), re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def _lifetime_peak_rss() -> int:
    # ru_maxrss is KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == 'darwin' else 1024)


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the C++ profiler's start/stop log lines (they go to fd 2, not through Python)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, 'w') as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class PeakMemory:
    """Context manager: peak bytes of live tensors on ``device`` during its block, in ``.stats``."""

    def __init__(self, device):
        self.device = torch.device(device)
        self.stats: Optional[MemoryStats] = None

    def __enter__(self) -> 'PeakMemory':
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._baseline = torch.cuda.memory_allocated(self.device)
        else:
            from torch.profiler import ProfilerActivity, profile
            self._profiler = profile(activities=[ProfilerActivity.CPU], profile_memory=True)
            with _quiet_stderr():
                self._profiler.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            self.stats = MemoryStats('cuda_max_allocated', torch.cuda.max_memory_allocated(self.device), self._baseline)
            return
        with _quiet_stderr():
            self._profiler.__exit__(*exc)
        # the raw allocator events ('[memory]': bytes > 0 allocated, < 0 freed); the
        # aggregated views of torch.profiler keep per-op totals, not their order in time
        from torch.autograd import DeviceType
        events = sorted((e for e in self._profiler.profiler.kineto_results.events()
                         if e.name() == '[memory]' and e.device_type() == DeviceType.CPU), key=lambda e: e.start_ns())
        peak = max(itertools.accumulate((e.nbytes() for e in events), initial=0))
        self.stats = MemoryStats('cpu_tensor_peak', peak, 0)


class PeakRSS:
    """Context manager: the process's peak resident set during its block (CPU), in ``.stats``."""

    def __enter__(self) -> 'PeakRSS':
        gc.collect()
        if sys.platform.startswith('linux'):
            with contextlib.suppress(OSError, AttributeError):  # AttributeError: not glibc
                ctypes.CDLL(None).malloc_trim(0)  # freed heap back to the kernel: the peak starts low
        try:
            Path('/proc/self/clear_refs').write_text('5')  # 5: reset the peak resident set size
            self._baseline = _status_bytes('VmRSS')
        except OSError:
            self._baseline = None
        self._lifetime = _lifetime_peak_rss()
        return self

    def __exit__(self, *exc) -> None:
        self.stats = (MemoryStats('cpu_peak_rss', _status_bytes('VmHWM'), self._baseline) if self._baseline is not None
                      else MemoryStats('cpu_lifetime_peak_rss', _lifetime_peak_rss(), self._lifetime))


def module_training_memory(forward: torch.nn.Module, image: torch.Tensor, module: torch.nn.Module,
                           device) -> MemoryStats:
    """Peak live tensor bytes (:class:`PeakMemory`) of one forward and backward of ``module`` alone.

    ``module``'s inputs are taken from an inference forward of ``forward(image)`` (``module`` may be
    ``forward`` itself); then it runs on them with every parameter trainable and the mean of its (first)
    output backpropagated, under torch's 'math' attention kernel, which holds softmax(QK^T) as the
    official code does. For the RRCA aggregator this is Table 11's memory: what a training step keeps for
    the backward, where SSR (keys and values on a 1/r1^2 grid) and CSR (the class block on 1/r2^2 of the
    pixels) each save.
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel
    captured = {}
    with module.register_forward_hook(lambda _, args, kwargs, out: captured.update(args=args, kwargs=kwargs),
                                      with_kwargs=True), torch.no_grad():
        forward(image)
    trainable = {p: p.requires_grad for p in module.parameters()}
    try:
        for p in trainable:
            p.requires_grad_(True)
        with torch.enable_grad(), sdpa_kernel(SDPBackend.MATH), PeakMemory(device) as mem:
            out = module(*captured['args'], **captured['kwargs'])
            (out[0] if isinstance(out, (tuple, list)) else out).float().mean().backward()
            del out
    finally:
        for p, flag in trainable.items():
            p.grad = None
            p.requires_grad_(flag)
    return mem.stats
