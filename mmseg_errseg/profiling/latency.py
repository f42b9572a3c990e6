"""Latency: execution modes, warm-up and synchronised timing (median and spread), per-component times.
Every mode's outputs are compared with the reference's (float32 eager), so a speed-up is never reported
without its accuracy cost."""
import contextlib
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Optional

import numpy as np
import torch
import torch.nn as nn

from .components import OTHER, ComponentMap

__all__ = ['EXECUTION_MODES', 'MIN_WARMUP', 'execution_mode', 'compare_outputs',
           'LatencyStats', 'measure_latency', 'ComponentTimer']

EXECUTION_MODES: Dict[str, str] = {
    'eager': 'float32, eager',
    'channels-last': 'float32, channels-last weights and input',
    'bf16': 'bfloat16 autocast',
    'compile': 'float32, torch.compile (inductor)',
}
#: Fewest warm-up runs a mode needs (compiling happens in the warm-up, and the first calls after it are slow).
MIN_WARMUP = {'compile': 3}


def _logits_and_classes(output: Any) -> tuple:
    return (*output, None)[:2] if isinstance(output, (tuple, list)) else (output, None)


def compare_outputs(reference: Any, other: Any) -> Dict[str, Any]:
    """Accuracy of a mode's output (logits, or (logits, kept classes)) against the reference's:
    ``kept_identical`` (None without kept classes), ``max_abs_diff`` of the logits in float32 (None when the
    kept classes differ) and ``max_abs_ref``."""
    ref_logits, ref_kept = _logits_and_classes(reference)
    logits, kept = _logits_and_classes(other)
    same = None if ref_kept is None else bool(torch.equal(ref_kept.cpu(), kept.cpu()))
    diff = None if same is False else (ref_logits.float() - logits.float()).abs().max().item()
    return dict(kept_identical=same, max_abs_diff=diff, max_abs_ref=ref_logits.float().abs().max().item())


@contextlib.contextmanager
def execution_mode(name: str, forward: nn.Module, image: torch.Tensor, device) -> Iterator[Callable[[], Any]]:
    """One forward ``forward(image)`` (inference mode) in the mode ``name``; the model is restored on exit."""
    device = torch.device(device)
    if name == 'channels-last':
        forward.to(memory_format=torch.channels_last)
        image = image.contiguous(memory_format=torch.channels_last)
    call = torch.compile(forward) if name == 'compile' else forward

    def run():
        autocast = torch.autocast(device.type, dtype=torch.bfloat16) if name == 'bf16' else contextlib.nullcontext()
        with torch.inference_mode(), autocast:
            return call(image)
    try:
        yield run
    finally:
        if name == 'channels-last':
            forward.to(memory_format=torch.contiguous_format)


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


def measure_latency(fn: Callable[[], object], runs: int, warmup: int = 1, device='cpu', progress: bool = False,
                    label: str = 'timing', around_timed: Optional[ContextManager] = None) -> LatencyStats:
    """Time ``fn()``: ``warmup`` untimed calls (allocator, kernel selection, caches), then ``runs`` timed ones,
    each closed by a sync of ``device``; ``progress`` shows ``label`` and a bar on stderr; ``around_timed`` is
    entered after the warm-up and left after the timed runs (e.g. :class:`~.memory.PeakRSS`)."""
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
    """Times the components of a model with forward hooks where components begin, exclusive of the components
    nested in them (what none covers is :data:`OTHER`). On CUDA every hook synchronises, so the instrumented
    forward is slower than a plain one: compare components with each other, the total with :func:`measure_latency`."""

    def __init__(self, model: nn.Module, components: ComponentMap, device='cpu'):
        self.model, self.components, self.device = model, components, torch.device(device)
        self.totals_ms: Dict[str, List[float]] = {}
        self._stack: List[list] = []  # [component, start, time of nested components]
        self._run: Dict[str, float] = {}
        self._hooks = contextlib.ExitStack()

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
            self._hooks.enter_context(modules[name].register_forward_pre_hook(
                lambda m, a, c=component: self._stack.append([c, self._now(), 0.0])))
            self._hooks.enter_context(modules[name].register_forward_hook(self._exit))
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.close()

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
