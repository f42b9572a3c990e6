"""Efficiency runs: the full-size model of a variant measured by the profiler (``mmseg_errseg.profiling``).

No data and no weights: FLOPs, parameters and memory are facts of the architecture, latency of the
device; the classes are the benchmark's names (their embeddings cached), P its official test-time P.
"""
from importlib.util import find_spec
from typing import Any, Dict, Optional

from .runs import Run

__all__ = ['profiler_missing', 'run_profile']


def profiler_missing() -> Optional[str]:
    """Why efficiency runs cannot run here (``None``: the FLOP counter, fvcore, is installed)."""
    if find_spec('fvcore') is None:
        return "needs fvcore, which counts the FLOPs: pip install 'mmseg-errseg[profile]'"
    return None


def run_profile(run: Run, device: str = 'cpu') -> Dict[str, Any]:
    """Profile a run's configuration on ``device``; returns the profiler's record (GFLOPs, parameters,
    memory, the aggregator's training-step memory, latency, each per component) and, for ``baselines`` in the run's
    context (keys of ``paper_experiments.BASELINES``), their records measured in the same run."""
    from mmengine.config import Config

    from .. import profiling
    from ..datasets.benchmarks import get_benchmark, resolve_vocabulary

    ctx = run.context
    bench = get_benchmark(ctx['benchmark'])
    nested = Config()  # 'decode_head.sr_ratio' -> {'decode_head': {'sr_ratio': ..}}
    nested.merge_from_dict(ctx['overrides'])
    spec = profiling.RunSpec(
        method='ERR-Seg', model='config', config=ctx['config'], vocabulary=resolve_vocabulary(bench.vocabulary),
        input_size=tuple(ctx['input_size']), num_selected=ctx['num_selected'], overrides=nested.to_dict() or None,
        benchmark=bench.title)
    options = dict(runs=run.spec['runs'], warmup=run.spec['warmup'], ptflops=False, components=True, progress=True)
    # the memory Table 11 compares: what the aggregator's training step holds, where SSR and CSR each save
    record, = profiling.run_specs([spec], device, aggregator_memory=True, **options)
    if ctx.get('baselines'):  # measured in the same run, for ratios that hold across devices
        common = dict(vocabulary=spec.vocabulary, input_size=spec.input_size, benchmark=spec.benchmark)
        specs = dict(san=profiling.RunSpec(profiling.SAN, 'san', None, **common),
                     cost_aggregation=profiling.RunSpec(profiling.COST_AGG, 'config', ctx['config'],
                                                        overrides=profiling.COST_AGGREGATION_BASELINE, **common))
        keys = list(ctx['baselines'])
        record['baselines'] = dict(zip(keys, profiling.run_specs([specs[k] for k in keys], device, **options)))
    return record
