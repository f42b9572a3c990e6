"""Profile records: :func:`profile_target` measures a target (FLOPs, ptflops cross-check, parameters, memory,
latency, components) into a JSON-serialisable dict (settings, every figure with its unit and method, the
environment, a timestamp); :func:`run_specs` builds, profiles, writes and frees one model at a time, so
several full-size models fit in memory in turn."""
import datetime
import gc
import math
import re
import sys
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Union

import torch

from ..utils import check_device, environment_info, write_json
from .components import AGGREGATOR_MODULE
from .flops import count_paper_and_executed, paper_convention, ptflops_macs
from .latency import EXECUTION_MODES, MIN_WARMUP, ComponentTimer, compare_outputs, execution_mode, measure_latency
from .memory import PeakMemory, PeakRSS, module_training_memory
from .targets import ProfileTarget, RunSpec, build_target

__all__ = ['profile_target', 'RECORD_VERSION', 'save_record', 'run_specs']

RECORD_VERSION = 4  # 2: memory is the live-tensor peak; process_rss, flops.executed; 4: aggregator_memory


def profile_target(target: ProfileTarget, *, device='cpu', runs: int = 5, warmup: int = 1, flops: bool = True,
                   ptflops: bool = True, components: bool = True, component_runs: int = 1,
                   executions: Sequence[str] = ('eager',), aggregator_memory: bool = False, progress: bool = False,
                   on_stage: Optional[Callable[[str], None]] = None) -> Dict[str, object]:
    """Measure one target (already on ``device``, its text cached) into a record.

    FLOPs (``flops``: fvcore, ``ptflops``: the cross-check) are counted on the float32 eager model; latency
    (``runs`` timed after ``warmup``) and memory (:class:`~.memory.PeakMemory` of one forward; on CPU also
    the process's peak RSS over the timed runs) per mode of ``executions``
    (:data:`~.latency.EXECUTION_MODES`), the first the reference the others are compared with;
    ``components``: per-component times, median of ``component_runs`` instrumented forwards;
    ``aggregator_memory``: one training step of the aggregator (:func:`~.memory.module_training_memory`,
    Table 11's memory). ``progress`` reports on stderr; ``on_stage`` is called with each stage's name.
    """
    device = torch.device(device)
    if component_runs < 1:
        raise ValueError(f'--component-runs must be >= 1, got {component_runs}')
    for name in executions:
        if name not in EXECUTION_MODES:
            raise ValueError(f'unknown execution mode {name!r}; choose from {tuple(EXECUTION_MODES)}')

    def stage(name: str, message: str = '') -> None:
        if on_stage:
            on_stage(name)
        if progress and message:
            print(f'[{target.name}] {message}', file=sys.stderr, flush=True)

    image = target.example_input(device)
    parameters = list(target.model.named_parameters())
    record: Dict[str, object] = dict(
        record_version=RECORD_VERSION, kind='profile', name=target.name, settings=dict(target.settings), batch_size=1,
        timestamp=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        environment=environment_info(device),
        params=dict(total=sum(p.numel() for _, p in parameters),
                    trainable=sum(p.numel() for _, p in parameters if p.requires_grad),
                    **target.param_groups.group_parameters(parameters)))
    if flops:
        stage('flops', 'counting FLOPs (fvcore, attention counted)')
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
        stage('ptflops', 'cross-checking with ptflops (aten backend)')
        with paper_convention(target.model):  # checks the reported count
            record['ptflops'] = dict(macs=ptflops_macs(target.forward, (image,)))

    record['executions'] = {}
    reference = None  # (output, median ms) of the first mode
    for name in executions:
        stage(f'latency:{name}')
        with execution_mode(name, target.forward, image, device) as run:
            rss = PeakRSS() if device.type == 'cpu' else None
            latency = measure_latency(run, runs, max(warmup, MIN_WARMUP.get(name, 0)), device, progress,
                                      f'[{target.name}] latency ({name}, {device.type})', rss)
            with PeakMemory(device) as mem:
                output = run()
        entry = record['executions'][name] = dict(latency=latency.to_dict(), memory=mem.stats.to_dict())
        if rss is not None:
            entry['process_rss'] = rss.stats.to_dict()
        entry['execution'] = EXECUTION_MODES[name]
        if reference is None:
            reference = (output, latency.median_ms)
        else:
            entry['speedup_vs_reference'] = reference[1] / latency.median_ms
            entry['accuracy_vs_reference'] = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                                              for k, v in compare_outputs(reference[0], output).items()}
        del output  # outputs can be large (SAN: T maps at image size)
    del reference
    first = record['executions'][executions[0]]
    record.update({k: first[k] for k in ('latency', 'memory', 'process_rss') if k in first})
    if aggregator_memory:
        stage('aggregator_memory', "peak memory of the aggregator's forward and backward (explicit attention)")
        record['aggregator_memory'] = module_training_memory(
            target.forward, image, target.model.get_submodule(AGGREGATOR_MODULE), device).to_dict()
    if components:
        stage('components', f'timing components ({component_runs} instrumented runs)')
        with ComponentTimer(target.model, target.components, device) as timer, torch.inference_mode():
            record['component_latency_ms'] = timer.time(lambda: target.forward(image), component_runs)
    return record


def save_record(record: Mapping, out_dir: Union[str, Path]) -> Path:
    """Write ``out_dir/<name>_<benchmark or T>_<device>.json`` (unsafe characters replaced); returns the path."""
    settings = record.get('settings', {})
    where = settings.get('benchmark') or f"T{settings.get('num_classes', 'x')}"
    stem = f"{record.get('name', 'model')}_{where}_{(record.get('environment') or {}).get('device', 'cpu')}"
    return write_json(Path(out_dir) / (re.sub(r'[^A-Za-z0-9._-]+', '-', stem).strip('-') + '.json'), record,
                      indent=2)


def run_specs(specs: Sequence[RunSpec], device='cpu', out_dir: Optional[str] = None, progress: bool = False,
              on_record: Optional[Callable[[dict], None]] = None, **profile_kwargs) -> List[dict]:
    """Build, profile (``profile_kwargs``: :func:`profile_target`'s) and free each spec in turn; each record
    is written to ``out_dir`` (atomically) and passed to ``on_record`` as soon as it is measured."""
    device = check_device(str(device))
    records = []
    for i, spec in enumerate(specs, 1):
        if progress:
            print(f'[{i}/{len(specs)}] building {spec.method} (T={len(spec.vocabulary.names)}, '
                  f'input {spec.input_size[0]}x{spec.input_size[1]})', file=sys.stderr, flush=True)
        record = profile_target(build_target(spec, device), device=device, progress=progress, **profile_kwargs)
        gc.collect()  # the model is freed before the next one is built
        if device.type == 'cuda':
            torch.cuda.empty_cache()
        if out_dir is not None:
            record['path'] = str(save_record(record, out_dir))
        records.append(record)
        if on_record:
            on_record(record)
    return records
