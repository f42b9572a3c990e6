"""Profile a target: FLOPs, ptflops cross-check, parameters, peak memory, latency, components.

The result is a record (a JSON-serialisable dict): the settings that define the
configuration, every measured figure with its unit and method, the environment
and a timestamp. Tables are views over such records (:mod:`.tables`).
"""
import contextlib
import datetime
import sys
from typing import Callable, Dict, Optional, Sequence

import torch

from ..utils import environment_info
from .execution import EXECUTION_MODES, prepare_execution
from .flops import count_paper_and_executed, paper_convention, ptflops_macs
from .latency import ComponentTimer, measure_latency
from .memory import PeakMemory, PeakRSS, training_step_memory
from .targets import ProfileTarget

__all__ = ['profile_target', 'RECORD_VERSION']

RECORD_VERSION = 2  # 2: memory is the live-tensor peak; process_rss, flops.executed, training_memory


def _stage(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def profile_target(target: ProfileTarget, *, device='cpu', runs: int = 5, warmup: int = 1,
                   flops: bool = True, ptflops: bool = True, components: bool = True,
                   component_runs: int = 1, executions: Sequence[str] = ('eager',),
                   training_memory: bool = False, progress: bool = False,
                   on_stage: Optional[Callable[[str], None]] = None) -> Dict[str, object]:
    """Measure one target.

    FLOPs and the ptflops cross-check are counted on the float32 eager model;
    ``flops`` is the paper's convention (the official execution), with the
    executed count as ``flops['executed']`` where it differs. Latency and memory
    are measured for every execution mode in ``executions`` (the first is the
    reference the others are compared to, output-wise and speed-wise, in this
    same run): ``memory`` is the peak of live tensor bytes of one forward
    (:class:`~.memory.PeakMemory`: CUDA ``max_memory_allocated``, on CPU the
    allocator events of torch's profiler), ``process_rss`` (CPU) the process's
    peak resident set over the timed runs. Nothing in the timed forwards
    synchronises but the timing itself (:func:`~.latency.measure_latency`).

    Args:
        target: What to measure, already on ``device`` with its text cached.
        device: 'cpu' or 'cuda[:i]'.
        runs: Timed forwards per execution mode.
        warmup: Untimed forwards before them.
        flops: Count FLOPs with fvcore (attention included).
        ptflops: Cross-check the count with ptflops' aten backend.
        components: Time the components (an instrumented forward).
        component_runs: Instrumented forwards (median per component).
        executions: Names from :data:`~.execution.EXECUTION_MODES`.
        training_memory: Also measure the peak live tensor bytes of one forward and
            backward with explicit attention (:func:`~.memory.training_step_memory`).
        progress: Report stages and a progress bar on stderr.
        on_stage: Called with the name of each stage (for tests and loggers).

    Returns:
        The record.
    """
    device = torch.device(device)
    if component_runs < 1:
        raise ValueError(f'--component-runs must be >= 1, got {component_runs}')
    for name in executions:
        if name not in EXECUTION_MODES:
            raise ValueError(f'unknown execution mode {name!r}; choose from {tuple(EXECUTION_MODES)}')
    notify = on_stage or (lambda _: None)
    image = target.example_input(device)
    record: Dict[str, object] = dict(
        record_version=RECORD_VERSION, kind='profile', name=target.name,
        settings=dict(target.settings), batch_size=1,
        timestamp=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        environment=environment_info(device))

    params = dict(total=sum(p.numel() for p in target.model.parameters()),
                  trainable=sum(p.numel() for p in target.model.parameters() if p.requires_grad))
    params.update(target.param_groups.group_parameters(target.model.named_parameters()))
    record['params'] = params

    if flops:
        notify('flops')
        _stage(progress, f'[{target.name}] counting FLOPs (fvcore, attention counted)')
        try:
            count, executed = count_paper_and_executed(target.forward, (image,), target.model,
                                                       target.components, target.PREFIX)
        except Exception as e:  # a model that fails on this input: one clear message
            raise RuntimeError(f'{target.name} fails on a {tuple(image.shape)} input: '
                               f'{type(e).__name__}: {e}') from None
        record['flops'] = count.to_dict()
        if executed is not None:
            record['flops']['executed'] = dict(total=executed.total, by_component=executed.by_component)
    if ptflops:
        notify('ptflops')
        _stage(progress, f'[{target.name}] cross-checking with ptflops (aten backend)')
        with paper_convention(target.model) or contextlib.nullcontext():  # checks the reported count
            record['ptflops'] = dict(macs=ptflops_macs(target.forward, (image,)))

    record['executions'] = {}
    reference = None
    for name in executions:
        notify(f'latency:{name}')
        mode = prepare_execution(name, target.forward, image, device, keep_output=len(executions) > 1)
        try:
            label = f'[{target.name}] latency ({name}, {device.type})'
            rss = PeakRSS() if device.type == 'cpu' else None
            with torch.inference_mode():
                latency = measure_latency(mode.run, runs, max(warmup, mode.min_warmup), device,
                                          progress, label, rss)
                with PeakMemory(device) as mem:
                    mode.run()
        finally:
            mode.undo()
        entry = dict(latency=latency.to_dict(), memory=mem.stats.to_dict())
        if rss is not None:
            entry['process_rss'] = rss.stats.to_dict()
        if reference is None:
            reference = (mode, latency.median_ms)
        else:
            mode.check(reference[0])
            entry['speedup_vs_reference'] = reference[1] / latency.median_ms
        entry.update(mode.describe())
        if mode is not reference[0]:
            mode.output = None  # outputs can be large (SAN: T maps at image size)
        record['executions'][name] = entry
    if reference is not None:
        reference[0].output = None
    first = record['executions'][executions[0]]
    record['latency'], record['memory'] = first['latency'], first['memory']
    if 'process_rss' in first:
        record['process_rss'] = first['process_rss']
    if training_memory:
        notify('training_memory')
        _stage(progress, f'[{target.name}] peak memory of a forward and backward (explicit attention)')
        record['training_memory'] = dict(training_step_memory(target.forward, image, device).to_dict(),
                                         attention='math')

    if components:
        notify('components')
        _stage(progress, f'[{target.name}] timing components ({component_runs} instrumented runs)')
        with ComponentTimer(target.model, target.components, device) as timer, torch.inference_mode():
            record['component_latency_ms'] = timer.time(lambda: target.forward(image), component_runs)
    return record
