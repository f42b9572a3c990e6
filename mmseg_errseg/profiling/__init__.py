"""Efficiency profiling (``errseg profile``): FLOPs with attention counted, parameters, memory, latency.

Each piece works on its own: :func:`count_flops`, :func:`ptflops_macs`, :class:`PeakMemory`,
:func:`measure_latency`, :class:`ComponentTimer`; :func:`profile_target` makes a record of them.
Tables of profile records (the paper's Tables 4 and 11) are views (``mmseg_errseg.views``).
"""
from .components import AGGREGATOR_COMPONENTS, ComponentMap
from .flops import attention_flops, count_flops, ptflops_macs
from .latency import ComponentTimer, compare_outputs, measure_latency
from .memory import PeakMemory
from .profiler import profile_target, run_specs, save_record
from .targets import (COST_AGG, COST_AGGREGATION_BASELINE, ERRSEG, SAN, RunSpec, build_san, build_segmentor,
                      check_input_size, errseg_target, load_model_config, san_target, setting_specs)

__all__ = ['AGGREGATOR_COMPONENTS', 'ComponentMap', 'attention_flops', 'count_flops', 'ptflops_macs', 'ComponentTimer',
           'compare_outputs', 'measure_latency', 'PeakMemory', 'profile_target', 'run_specs', 'save_record',
           'COST_AGG', 'COST_AGGREGATION_BASELINE', 'ERRSEG', 'SAN', 'RunSpec', 'build_san', 'build_segmentor',
           'check_input_size', 'errseg_target', 'load_model_config', 'san_target', 'setting_specs']
