"""Latency: warm-up, synchronised timing, median and spread; and per-component times."""
import contextlib
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable, ContextManager, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn

from .components import OTHER, ComponentMap

__all__ = ['LatencyStats', 'measure_latency', 'ComponentTimer']


def _percentile(q: float) -> property:
    return property(lambda self: float(np.percentile(self.times_ms, q)), doc=f'{q}th percentile (linear).')


@dataclass
class LatencyStats:
    """Wall-clock times of ``times_ms`` (every timed run, in order) after ``warmup`` untimed runs."""
    times_ms: List[float]
    warmup: int = 0

    min_ms, q1_ms, median_ms, q3_ms, max_ms = (_percentile(q) for q in (0, 25, 50, 75, 100))

    def to_dict(self) -> dict:
        return dict(asdict(self), runs=len(self.times_ms), median_ms=self.median_ms,
                    q1_ms=self.q1_ms, q3_ms=self.q3_ms, min_ms=self.min_ms, max_ms=self.max_ms)


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def measure_latency(fn: Callable[[], object], runs: int, warmup: int = 1, device='cpu',
                    progress: bool = False, label: str = 'timing',
                    around_timed: Optional[ContextManager] = None) -> LatencyStats:
    """Time ``fn()``: ``warmup`` untimed calls, then ``runs`` timed ones, each closed by a device sync.

    Args:
        fn: The work (e.g. one forward).
        runs: Timed calls, >= 1.
        warmup: Untimed calls first (allocator, kernel selection, caches).
        device: Device the work runs on.
        progress: Show ``label`` and a progress bar on stderr.
        label: Shown before the progress bar.
        around_timed: Entered after the warm-up, left after the timed runs (e.g. :class:`~.memory.PeakRSS`).
    """
    if runs < 1:
        raise ValueError(f'--runs must be >= 1, got {runs}')
    if warmup < 0:
        raise ValueError(f'--warmup must be >= 0, got {warmup}')
    device = torch.device(device)
    if progress:
        from mmengine.utils import ProgressBar
        print(f'{label}: {warmup} warm-up + {runs} timed runs', file=sys.stderr)
        bar = ProgressBar(warmup + runs, file=sys.stderr)
    for _ in range(warmup):
        fn()
        progress and bar.update()
    _synchronize(device)
    times = []
    with around_timed or contextlib.nullcontext():
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            _synchronize(device)
            times.append((time.perf_counter() - start) * 1e3)
            progress and bar.update()
    if progress:
        sys.stderr.write('\n')
    return LatencyStats(times, warmup)


class ComponentTimer:
    """Times the components of a model with forward hooks where components begin (exclusive times).

    A component's time excludes the components nested in it; what no component
    covers is :data:`OTHER`. On CUDA every hook synchronises, so the instrumented
    forward is slower than a plain one: compare components with each other, and
    the total with :func:`measure_latency`.
    """

    def __init__(self, model: nn.Module, components: ComponentMap, device='cpu'):
        self.model, self.components, self.device = model, components, torch.device(device)
        self.totals_ms: Dict[str, List[float]] = {}
        self._stack: List[list] = []  # [component, start, time of nested components]
        self._run: Dict[str, float] = {}
        self._handles = []

    def _now(self) -> float:
        _synchronize(self.device)
        return time.perf_counter()

    def _exit(self, module, args, output) -> None:
        component, start, nested = self._stack.pop()
        elapsed = self._now() - start
        self._run[component] = self._run.get(component, 0.0) + elapsed - nested
        if self._stack:
            self._stack[-1][2] += elapsed

    def __enter__(self) -> 'ComponentTimer':
        modules = dict(self.model.named_modules())
        for name, component in self.components.roots(modules).items():
            self._handles += [
                modules[name].register_forward_pre_hook(
                    lambda m, a, c=component: self._stack.append([c, self._now(), 0.0])),
                modules[name].register_forward_hook(self._exit)]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def time(self, fn: Callable[[], object], runs: int = 1) -> Dict[str, float]:
        """Component -> median exclusive ms over ``runs`` calls of ``fn`` (one forward), :data:`OTHER` last."""
        for _ in range(runs):
            self._run, self._stack = {}, []
            start = self._now()
            fn()
            self._run[OTHER] = self._now() - start - sum(self._run.values())
            for name in [*self.components.names, OTHER]:
                self.totals_ms.setdefault(name, []).append(self._run.get(name, 0.0) * 1e3)
        return {name: statistics.median(values) for name, values in self.totals_ms.items()}
