"""Latency: warm-up, synchronised timing, median and spread; and per-component times."""
import contextlib
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, ContextManager, Dict, List, Optional

import torch
import torch.nn as nn

from .components import OTHER, ComponentMap

__all__ = ['LatencyStats', 'measure_latency', 'ComponentTimer']


@dataclass
class LatencyStats:
    """Wall-clock times of repeated runs, in milliseconds.

    Attributes:
        times_ms: Every timed run, in order.
        warmup: Untimed runs before them.
    """
    times_ms: List[float]
    warmup: int = 0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def q1_ms(self) -> float:
        return _quantile(self.times_ms, 0.25)

    @property
    def q3_ms(self) -> float:
        return _quantile(self.times_ms, 0.75)

    @property
    def min_ms(self) -> float:
        return min(self.times_ms)

    @property
    def max_ms(self) -> float:
        return max(self.times_ms)

    def to_dict(self) -> dict:
        return dict(asdict(self), runs=len(self.times_ms), median_ms=self.median_ms,
                    q1_ms=self.q1_ms, q3_ms=self.q3_ms, min_ms=self.min_ms, max_ms=self.max_ms)


def _quantile(values: List[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default), defined for one value too."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def measure_latency(fn: Callable[[], object], runs: int, warmup: int = 1, device='cpu',
                    progress: bool = False, label: str = 'timing',
                    around_timed: Optional[ContextManager] = None) -> LatencyStats:
    """Time ``fn()``: ``warmup`` untimed calls, then ``runs`` timed ones.

    Each timed call is bracketed by device synchronisation, so asynchronous CUDA
    work is included.

    Args:
        fn: The work (e.g. a forward pass under ``torch.inference_mode``).
        runs: Timed calls, >= 1.
        warmup: Untimed calls first (allocator, kernel selection, caches).
        device: Device the work runs on.
        progress: Show a progress bar on stderr.
        label: Shown before the progress bar.
        around_timed: Entered after the warm-up and left after the timed runs
            (e.g. :class:`~.memory.PeakMemory`).

    Returns:
        :class:`LatencyStats`.
    """
    if runs < 1:
        raise ValueError(f'--runs must be >= 1, got {runs}')
    if warmup < 0:
        raise ValueError(f'--warmup must be >= 0, got {warmup}')
    device = torch.device(device)
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        print(f'{label}: {warmup} warm-up + {runs} timed runs', file=sys.stderr)
        bar = ProgressBar(warmup + runs, file=sys.stderr)
    for _ in range(warmup):
        fn()
        if bar:
            bar.update()
    _synchronize(device)
    times = []
    with around_timed or contextlib.nullcontext():
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            _synchronize(device)
            times.append((time.perf_counter() - start) * 1e3)
            if bar:
                bar.update()
    if bar:
        sys.stderr.write('\n')
    return LatencyStats(times, warmup)


@dataclass
class _Frame:
    component: str
    start: float
    nested: float = 0.0


@dataclass
class ComponentTimer:
    """Times the components of a model with forward hooks (exclusive times).

    Hooks sit where components begin (:meth:`ComponentMap.roots`); a
    component's time excludes the components nested in it, and what no
    component covers is :data:`OTHER`. On CUDA every hook synchronises, so the
    instrumented forward is slower than an uninstrumented one: compare
    components with each other, and the total with :func:`measure_latency`.

    Args:
        model: The model whose module names the map refers to.
        components: The component map.
        device: Device the model runs on.
    """
    model: nn.Module
    components: ComponentMap
    device: object = 'cpu'
    totals_ms: Dict[str, List[float]] = field(default_factory=dict)

    def __post_init__(self):
        self.device = torch.device(self.device)
        self._stack: List[_Frame] = []
        self._handles = []
        self._run: Dict[str, float] = {}

    def _now(self) -> float:
        _synchronize(self.device)
        return time.perf_counter()

    def _enter(self, component: str):
        def hook(module, args):
            self._stack.append(_Frame(component, self._now()))
        return hook

    def _exit(self, module, args, output):
        frame = self._stack.pop()
        elapsed = self._now() - frame.start
        self._run[frame.component] = self._run.get(frame.component, 0.0) + elapsed - frame.nested
        if self._stack:
            self._stack[-1].nested += elapsed

    def __enter__(self) -> 'ComponentTimer':
        names = dict(self.model.named_modules())
        for name, component in self.components.roots(names).items():
            module = names[name]
            self._handles.append(module.register_forward_pre_hook(self._enter(component)))
            self._handles.append(module.register_forward_hook(self._exit))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def time(self, fn: Callable[[], object], runs: int = 1) -> Dict[str, float]:
        """Run ``fn`` ``runs`` times inside the hooks.

        Args:
            fn: One forward of :attr:`model`.
            runs: Repetitions; the median per component is reported.

        Returns:
            Component -> median exclusive milliseconds, :data:`OTHER` (time
            outside every component) last.
        """
        for _ in range(runs):
            self._run = {}
            self._stack = []
            start = self._now()
            fn()
            total = self._now() - start
            self._run[OTHER] = total - sum(self._run.values())
            for name in [*self.components.names, OTHER]:
                self.totals_ms.setdefault(name, []).append(self._run.get(name, 0.0) * 1e3)
        return {name: statistics.median(values) for name, values in self.totals_ms.items()}
