"""Efficiency profiling (``errseg profile``): FLOPs with attention counted, parameters, memory, latency.

Each piece works on its own: :func:`count_flops`, :func:`ptflops_macs`, :class:`PeakMemory`,
:func:`measure_latency`, :class:`ComponentTimer`; :func:`profile_target` makes a record of them.
Tables of profile records (the paper's Tables 4 and 11) are views of the harness (``mmseg_errseg.views``).
"""
from .builders import (COST_AGGREGATION_BASELINE, build_san, build_segmentor, check_input_size,
                       load_model_config, san_config_path)
from .components import (AGGREGATOR_COMPONENTS, ERRSEG_COMPONENTS, ERRSEG_PARAM_GROUPS, OTHER,
                         SAN_COMPONENTS, ComponentMap)
from .execution import EXECUTION_MODES, compare_outputs, execution_mode
from .flops import FlopCount, attention_flops, count_flops, ptflops_macs
from .latency import ComponentTimer, LatencyStats, measure_latency
from .memory import MemoryStats, PeakMemory
from .profiler import profile_target
from .records import load_records, save_record
from .report import component_frame, format_record
from .runner import COST_AGG, ERRSEG, SAN, RunSpec, run_specs, setting_specs
from .targets import ProfileTarget, errseg_target, san_target, segmentor_target

__all__ = [
    'COST_AGGREGATION_BASELINE', 'build_san', 'build_segmentor', 'check_input_size',
    'load_model_config', 'san_config_path', 'AGGREGATOR_COMPONENTS', 'ERRSEG_COMPONENTS',
    'ERRSEG_PARAM_GROUPS', 'OTHER', 'SAN_COMPONENTS', 'ComponentMap', 'EXECUTION_MODES',
    'compare_outputs', 'execution_mode', 'attention_flops', 'FlopCount', 'count_flops', 'ptflops_macs',
    'ComponentTimer', 'LatencyStats', 'measure_latency', 'MemoryStats', 'PeakMemory',
    'profile_target', 'load_records', 'save_record', 'component_frame', 'format_record',
    'COST_AGG', 'ERRSEG', 'SAN', 'RunSpec', 'run_specs', 'setting_specs', 'ProfileTarget', 'errseg_target',
    'san_target', 'segmentor_target'
]
