"""Human-readable views of profile records (what ``errseg profile`` prints)."""
from typing import Mapping

import pandas as pd

from .components import OTHER
from .flops import FVCORE_EXTRA_HANDLES
from .latency import EXECUTION_MODES

__all__ = ['format_record', 'component_frame']

_GIB = 2 ** 30
_MEMORY_KINDS = {
    'cuda_max_allocated': 'CUDA max allocated',
    'cpu_peak_rss': 'process peak RSS',
    'cpu_lifetime_peak_rss': 'process lifetime peak RSS (could not be reset: a lower bound of the block)',
}


def _bytes(value: float) -> str:
    return f'{value / _GIB:.3f} GiB' if value >= 2 ** 30 else f'{value / 2 ** 20:.1f} MiB'


def _gflops(value: float) -> str:
    return f'{value / 1e9:.2f}' if value >= 1e9 else f'{value / 1e9:.4g}'


def _ms(value: float) -> str:
    return f'{value:.1f} ms' if value < 1e4 else f'{value / 1e3:.2f} s'


def component_frame(record: Mapping) -> pd.DataFrame:
    """Per component: GFLOPs, share of the total, instrumented time and its share."""
    flops = (record.get('flops') or {}).get('by_component', {})
    times = record.get('component_latency_ms') or {}
    frame = pd.DataFrame(index=pd.Index(list(dict.fromkeys([*flops, *times])), name='component'))
    frame['GFLOPs'] = pd.Series(flops, dtype=float) / 1e9
    frame['FLOPs %'] = 100 * frame['GFLOPs'] / frame['GFLOPs'].sum()
    frame['ms (instrumented)'] = pd.Series(times, dtype=float)
    frame['time %'] = 100 * frame['ms (instrumented)'] / frame['ms (instrumented)'].sum()
    return frame.reset_index()


def _settings_line(record: Mapping) -> str:
    s = record.get('settings', {})
    env = record.get('environment', {})
    parts = [record.get('name', '?')]
    if s.get('config'):
        parts.append(str(s['config']))
    if s.get('num_classes') is not None:
        tp = f"T={s['num_classes']}"
        if s.get('num_selected') is not None:
            kept = s.get('kept_classes')
            tp += f', P={kept}' if kept == s['num_selected'] else f', all {kept} classes kept'
        parts.append(tp + (f" ({s['benchmark']})" if s.get('benchmark') else f" ({s.get('vocabulary')})"))
    if s.get('input'):
        parts.append(f"input {s['input'][0]}x{s['input'][1]}")
    device = env.get('gpu') or f"{env.get('device', 'cpu')}, {env.get('torch_threads')} threads"
    parts.append(f'{device}, batch 1, text cached ({s.get("text", "?")})')
    return ' | '.join(parts)


def format_record(record: Mapping) -> str:
    """A multi-line summary of one record: FLOPs (and what is uncounted), params, memory, latency."""
    lines = [_settings_line(record)]
    flops = record.get('flops')
    if flops:
        added = ', '.join(k for k in flops['by_operator'] if f'aten::{k}' in FVCORE_EXTRA_HANDLES)
        line = (f"GFLOPs (fvcore, 1 FMA = 1 flop, attention counted): {_gflops(flops['total'])} "
                f"(of which {_gflops(flops['added'])} fvcore alone skips: {added or 'none'})")
        lines.append(line)
        pt = record.get('ptflops')
        if pt:
            rel = 100 * (pt['macs'] - flops['matmul']) / flops['matmul'] if flops['matmul'] else float('nan')
            lines.append('ptflops cross-check (aten backend, attention hooked): '
                         f"{_gflops(pt['macs'])} GMACs; "
                         f"fvcore matrix-product share {_gflops(flops['matmul'])} GFLOPs ({rel:+.2f}%: "
                         'ptflops adds bias MACs)')
        if flops.get('uncounted'):
            ops = ', '.join(f'{k.replace("aten::", "")} x{v}' for k, v in flops['uncounted'].items())
            lines.append(f'uncounted (no fvcore handle; element-wise/indexing by convention): {ops}')
    p = record.get('params') or {}
    if p:
        groups = ', '.join(f'{k} {v / 1e6:.2f} M' for k, v in p.items()
                           if k not in ('total', 'trainable') and (v or k != OTHER))
        lines.append(f"params: total {p['total'] / 1e6:.2f} M, trainable {p['trainable'] / 1e6:.2f} M "
                     f'({groups})')
    for name, entry in (record.get('executions') or {}).items():
        lat, mem = entry['latency'], entry['memory']
        line = (f"latency [{EXECUTION_MODES.get(name, name)}]: median {_ms(lat['median_ms'])} "
                f"(IQR {_ms(lat['q1_ms'])} - {_ms(lat['q3_ms'])}, min {_ms(lat['min_ms'])}, "
                f"max {_ms(lat['max_ms'])}; {lat['runs']} runs after {lat['warmup']} warm-up)")
        if 'speedup_vs_reference' in entry:
            line += f"; x{entry['speedup_vs_reference']:.2f} vs the first mode"
        lines.append(line)
        acc = entry.get('accuracy_vs_reference')
        if acc:
            diff = 'n/a (kept classes differ)' if acc['max_abs_diff'] is None \
                else f"{acc['max_abs_diff']:.2e}"
            kept = '' if acc['kept_identical'] is None else \
                f", kept classes {'identical' if acc['kept_identical'] else 'DIFFERENT'}"
            lines.append(f'  accuracy vs the first mode: max |logit diff| {diff} '
                         f"(max |logit| {acc['max_abs_ref']:.2f}){kept}")
        lines.append(f"  peak memory: {_bytes(mem['delta'])} over a baseline of "
                     f"{_bytes(mem['baseline'])} ({_MEMORY_KINDS.get(mem['kind'], mem['kind'])})")
    comps = component_frame(record)
    if not comps.empty:
        digits = '.2f' if (record.get('flops') or {}).get('total', 0) >= 1e10 else '.4g'
        comps = comps.astype(object).where(comps.notna(), None)
        lines += ['', comps.to_markdown(index=False, floatfmt=('', digits, '.1f', '.1f', '.1f'),
                                        missingval='')]
        if record.get('component_latency_ms'):
            lines.append('(times: forward hooks at component boundaries, exclusive of nested components)')
    return '\n'.join(lines)

