"""Views of profile records: the paper's Table 4 and Table 11, ours beside the paper's figures.

Each table is declared once: which configurations it needs (:data:`TABLE_RUNS`)
and the paper's figures to show beside ours (:data:`PAPER_FIGURES`). Rows are
built from records (:func:`~.profiler.profile_target` output) with pandas;
nothing here computes or copies a measured value of ours.
"""
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence

import pandas as pd

from ..utils import write_text
from .builders import COST_AGGREGATION_BASELINE
from .components import AGGREGATOR_COMPONENTS

__all__ = ['kept_classes', 'BENCHMARKS', 'TABLE_RUNS', 'PAPER_FIGURES', 'OFFICIAL_FIGURES', 'TABLE_NOTES',
           'records_frame', 'table4', 'table11', 'render_table', 'write_table', 'write_paper_table',
           'TABLES']

#: OVSS benchmark -> (shipped vocabulary, official test-time P).
BENCHMARKS: Dict[str, tuple] = {
    'A-847': ('ade847', 48), 'PC-459': ('pc459', 48), 'A-150': ('ade150', 32),
    'PC-59': ('pc59', 24), 'PAS-20': ('voc20', 16),
}

ERRSEG, SAN, COST_AGG = 'ERR-Seg', 'SAN ViT-B/16', 'cost-aggregation baseline'

#: The configurations each table needs. ``model``: 'config' (the profiled
#: config, with ``overrides`` on ``model``) or 'san' (MMSeg's SAN config).
TABLE_RUNS: Dict[str, List[dict]] = {
    '4': [dict(method=m, benchmark=b, model=kind, overrides=ov)
          for b in ('A-847', 'A-150')
          for m, kind, ov in ((ERRSEG, 'config', None), (SAN, 'san', None),
                              (COST_AGG, 'config', COST_AGGREGATION_BASELINE))],
    '11': [dict(method=f'{ERRSEG} SSR={"on" if ssr else "off"} CSR={"on" if csr else "off"}',
                benchmark='A-150', model='config',
                overrides=dict(decode_head=dict(sr_ratio=2 if ssr else 1, class_pool=2 if csr else 1)))
           for ssr in (False, True) for csr in (False, True)],
}

#: The paper's figures (ERR-Seg-B; latency on one RTX 3090, memory in GiB).
PAPER_FIGURES = {
    '4': {(ERRSEG, 'A-847'): dict(gflops=348, latency_ms=114),
          (ERRSEG, 'A-150'): dict(gflops=288, latency_ms=85),
          (SAN, 'A-847'): dict(gflops=120, latency_ms=34),
          (SAN, 'A-150'): dict(gflops=95, latency_ms=32)},
    '11': {(False, False): dict(gflops=188.1, memory_gib=9.5, latency_ms=103),
           (False, True): dict(gflops=148.9, memory_gib=7.8, latency_ms=91),
           (True, False): dict(gflops=134.6, memory_gib=5.9, latency_ms=57),
           (True, True): dict(gflops=95.3, memory_gib=4.2, latency_ms=49)},
}

#: GFLOPs of the official implementation measured with fvcore, attention counted
#: (the figures this package's count must reproduce; total = visual + decoder).
OFFICIAL_FIGURES = {
    (ERRSEG, 'A-847'): dict(gflops=346.3, visual=171.0, decoder=175.3),
    (ERRSEG, 'A-150'): dict(gflops=288.3, visual=171.0, decoder=117.3),
}

_GIB = 2 ** 30


def kept_classes(settings: Mapping):
    """P: the classes ERR-Seg keeps (T without class removal); None for methods without P."""
    return settings.get('kept_classes') if settings.get('num_selected') is not None else None


def _on(values) -> bool:
    return any(v > 1 for v in (values or []))


def records_frame(records: Iterable[Mapping]) -> pd.DataFrame:
    """One row per profile record with the fields the tables use.

    Args:
        records: Records of :func:`~.profiler.profile_target`.

    Returns:
        A DataFrame (GFLOPs, parameters in millions, memory in GiB, latency in ms).
    """
    rows = []
    for rec in records:
        settings = rec.get('settings', {})
        flops = rec.get('flops') or {}
        comps = flops.get('by_component', {})
        lat = rec.get('latency') or {}
        mem = rec.get('memory') or {}
        comp_ms = rec.get('component_latency_ms') or {}
        visual = comps.get('CLIP visual')
        rows.append(dict(
            method=settings.get('method', rec.get('name')), benchmark=settings.get('benchmark'),
            T=settings.get('num_classes'), P=kept_classes(settings),
            ssr=_on(settings.get('sr_ratio')), csr=_on(settings.get('class_pool')),
            gflops=flops['total'] / 1e9 if 'total' in flops else None,
            visual_gflops=visual / 1e9 if visual is not None else None,
            decoder_gflops=(flops['total'] - visual) / 1e9 if visual is not None else None,
            aggregator_gflops=(sum(comps[c] for c in AGGREGATOR_COMPONENTS) / 1e9
                               if all(c in comps for c in AGGREGATOR_COMPONENTS) else None),
            ptflops_gmacs=(rec.get('ptflops') or {}).get('macs', float('nan')) / 1e9,
            params_m=(rec.get('params') or {}).get('total', float('nan')) / 1e6,
            memory_gib=mem['delta'] / _GIB if 'delta' in mem else None,
            memory_kind=mem.get('kind'),
            latency_ms=lat.get('median_ms'), latency_q1_ms=lat.get('q1_ms'),
            latency_q3_ms=lat.get('q3_ms'), runs=lat.get('runs'),
            aggregator_ms=(sum(comp_ms[c] for c in AGGREGATOR_COMPONENTS)
                           if all(c in comp_ms for c in AGGREGATOR_COMPONENTS) else None),
            device=(rec.get('environment') or {}).get('gpu') or (rec.get('environment') or {}).get('device'),
        ))
    return pd.DataFrame(rows)


def _device_label(frame: pd.DataFrame) -> str:
    devices = sorted({str(d) for d in frame['device'].dropna()})
    return ', '.join(devices) or 'unknown device'


def table4(records: Iterable[Mapping]) -> pd.DataFrame:
    """Table 4 view: per benchmark and method, our GFLOPs / latency / memory beside the paper's.

    Args:
        records: Profile records whose settings carry ``method`` and ``benchmark``
            (as written by ``errseg profile --table 4``).

    Returns:
        One row per (benchmark, method), in the order of :data:`TABLE_RUNS`.
    """
    frame = records_frame(records)
    device = _device_label(frame)
    rows = []
    for run in TABLE_RUNS['4']:
        key = (run['method'], run['benchmark'])
        match = frame[(frame.method == key[0]) & (frame.benchmark == key[1])]
        if match.empty:
            continue
        ours = match.iloc[-1]
        paper = PAPER_FIGURES['4'].get(key, {})
        official = OFFICIAL_FIGURES.get(key, {})
        rows.append({
            'benchmark': key[1], 'method': key[0], 'T': ours['T'], 'P': ours['P'],
            'GFLOPs (ours)': ours['gflops'],
            'GFLOPs (official impl., fvcore)': official.get('gflops'),
            'GFLOPs (paper)': paper.get('gflops'),
            'visual GFLOPs (ours)': ours['visual_gflops'],
            'params M (ours)': ours['params_m'],
            f'latency ms (ours, {device})': ours['latency_ms'],
            'latency ms (paper, RTX 3090)': paper.get('latency_ms'),
            'peak memory GiB (ours, over baseline)': ours['memory_gib'],
        })
    frame = pd.DataFrame(rows)
    for column in ('T', 'P'):  # class counts stay integers beside blanks
        if column in frame:
            frame[column] = frame[column].astype('Int64')
    return frame


def table11(records: Iterable[Mapping]) -> pd.DataFrame:
    """Table 11 view: the aggregator with SSR / CSR on and off, ours beside the paper's.

    GFLOPs and latency are the aggregator's (the RRCA spatial and class blocks);
    memory is the whole forward's peak over its baseline.

    Args:
        records: Profile records of the four variants at A-150 (T=150, P=32).

    Returns:
        One row per (SSR, CSR), in the paper's order.
    """
    frame = records_frame(records)
    device = _device_label(frame)
    rows = []
    for (ssr, csr), paper in PAPER_FIGURES['11'].items():
        match = frame[(frame.ssr == ssr) & (frame.csr == csr) & (frame.benchmark == 'A-150')]
        if match.empty:
            continue
        ours = match.iloc[-1]
        rows.append({
            'SSR': 'yes' if ssr else 'no', 'CSR': 'yes' if csr else 'no',
            'aggregator GFLOPs (ours)': ours['aggregator_gflops'],
            'aggregator GFLOPs (paper)': paper['gflops'],
            f'aggregator latency ms (ours, {device})': ours['aggregator_ms'],
            'latency ms (paper, RTX 3090)': paper['latency_ms'],
            'model GFLOPs (ours)': ours['gflops'],
            'peak memory GiB (ours, whole forward, over baseline)': ours['memory_gib'],
            'memory GiB (paper)': paper['memory_gib'],
        })
    return pd.DataFrame(rows)


#: Table name -> view.
TABLES = {'4': table4, '11': table11}


def render_table(frame: pd.DataFrame, digits: int = 1) -> str:
    """A table as GitHub Markdown, numbers rounded to ``digits``, blanks for missing figures."""
    frame = frame.astype(object).where(frame.notna(), None)  # tabulate blanks None, not NaN
    return frame.to_markdown(index=False, floatfmt=f'.{digits}f', missingval='')


def write_table(frame: pd.DataFrame, out_dir, stem: str, title: Optional[str] = None,
                notes: Sequence[str] = ()) -> List[Path]:
    """Write a table as ``<stem>.csv`` and ``<stem>.md`` (atomically).

    Args:
        frame: The table (e.g. :func:`table4`'s).
        out_dir: Output directory (created).
        stem: File name without extension.
        title: Markdown heading.
        notes: Lines written under the Markdown table (conventions, devices).

    Returns:
        The two paths.
    """
    out = Path(out_dir)
    csv_path, md_path = out / f'{stem}.csv', out / f'{stem}.md'
    write_text(csv_path, frame.to_csv(index=False))
    parts = ([f'## {title}', ''] if title else []) + [render_table(frame), '']
    parts += [f'- {n}' for n in notes]
    write_text(md_path, '\n'.join(parts) + '\n')
    return [csv_path, md_path]


#: Conventions printed under each table.
TABLE_NOTES = {
    '4': ['GFLOPs: fvcore, 1 FMA = 1 flop, attention (scaled_dot_product_attention) counted, '
          'class embeddings cached (text tower not run), batch 1, at the input size of the records.',
          '"official impl.": the official implementation measured the same way; "paper": the '
          "paper's Table 4 (latency on one RTX 3090).",
          'Our latency: median of the timed runs on the device named in the column; memory: peak '
          'over the pre-forward baseline (CUDA max allocated, or process peak RSS on CPU).'],
    '11': ['Aggregator = the four RRCA layers (spatial and class blocks); T=150, P=32.',
           'Aggregator latency: forward hooks at the block boundaries (exclusive times); memory: the '
           "whole forward's peak over its baseline. \"paper\": the paper's Table 11 (RTX 3090, GiB, ms)."],
}


def write_paper_table(table: str, records: Iterable[Mapping], out_dir) -> List[Path]:
    """Render a paper table from records and write ``table<N>.csv`` / ``table<N>.md`` with its notes.

    Args:
        table: '4' or '11'.
        records: Profile records (e.g. :func:`~.records.load_records` of a directory).
        out_dir: Output directory.

    Returns:
        The written paths.
    """
    if table not in TABLES:
        raise ValueError(f'unknown table {table!r}; choose from {tuple(TABLES)}')
    frame = TABLES[table](list(records))
    if frame.empty:
        raise ValueError(f'no record matches Table {table}: profile with `errseg profile CONFIG '
                         f'--table {table}` first')
    return write_table(frame, out_dir, f'table{table}', f'Table {table} (ours beside the paper)',
                       TABLE_NOTES[table])
