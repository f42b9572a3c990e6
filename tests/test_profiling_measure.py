"""Memory, latency, component timing and execution modes."""
import sys
import time

import pytest
import torch
import torch.nn as nn

from mmseg_errseg.profiling import (ComponentMap, ComponentTimer, PeakMemory, compare_outputs,
                                    errseg_target, measure_latency, profile_target)
from mmseg_errseg.profiling.components import OTHER
from mmseg_errseg.profiling.memory import current_rss

from conftest import TINY_VOCAB, build_model

MIB = 2 ** 20


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='process RSS peaks need /proc')
def test_peak_memory_sees_a_freed_allocation():
    with PeakMemory('cpu') as mem:
        x = torch.ones(32 * MIB // 4)  # 32 MiB, pages touched
        del x
    assert mem.stats.kind == 'cpu_peak_rss'
    assert mem.stats.delta >= 30 * MIB
    assert mem.stats.peak >= mem.stats.baseline + mem.stats.delta
    # a second block that allocates nothing large has a small peak of its own
    with PeakMemory('cpu') as idle:
        pass
    assert idle.stats.delta < 8 * MIB
    assert current_rss() > 0


def test_measure_latency_counts_and_statistics():
    calls = []

    def work():
        calls.append(1)
        time.sleep(0.005)

    stats = measure_latency(work, runs=4, warmup=2)
    assert len(calls) == 6 and len(stats.times_ms) == 4 and stats.warmup == 2
    assert stats.min_ms >= 5.0
    assert stats.min_ms <= stats.q1_ms <= stats.median_ms <= stats.q3_ms <= stats.max_ms
    d = stats.to_dict()
    assert d['runs'] == 4 and d['median_ms'] == stats.median_ms
    with pytest.raises(ValueError, match='--runs must be >= 1'):
        measure_latency(work, runs=0)


class _Sleep(nn.Module):
    def __init__(self, seconds, inner=None):
        super().__init__()
        self.seconds, self.inner = seconds, inner

    def forward(self, x):
        time.sleep(self.seconds)
        return self.inner(x) if self.inner is not None else x


def test_component_timer_exclusive_times():
    model = nn.Sequential(_Sleep(0.02, _Sleep(0.01)), _Sleep(0.005))
    comps = ComponentMap({'outer': ['0'], 'inner': ['0.inner']})
    with ComponentTimer(model, comps) as timer:
        times = timer.time(lambda: model(torch.zeros(1)), runs=2)
    assert set(times) == {'outer', 'inner', OTHER}
    assert times['outer'] >= 20 and times['inner'] >= 10 and times[OTHER] >= 5
    assert times['outer'] < 20 + times['inner']  # the nested time is not counted twice
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())  # removed


def test_compare_outputs():
    logits, kept = torch.randn(1, 3, 4, 4), torch.tensor([[0, 2, 5]])
    same = compare_outputs((logits, kept), (logits + 1e-3, kept))
    assert same['kept_identical'] is True and same['max_abs_diff'] == pytest.approx(1e-3, rel=1e-3)
    other = compare_outputs((logits, kept), (logits, torch.tensor([[0, 2, 6]])))
    assert other['kept_identical'] is False and other['max_abs_diff'] is None
    assert compare_outputs(logits, logits * 2)['kept_identical'] is None


def test_profile_target_record_on_tiny_model():
    model = build_model().eval()
    target = errseg_target(model, TINY_VOCAB, 4, model.crop_size)
    stages = []
    rec = profile_target(target, runs=2, warmup=1, executions=('eager', 'channels-last', 'bf16'),
                         on_stage=stages.append)
    assert stages == ['flops', 'ptflops', 'latency:eager', 'latency:channels-last', 'latency:bf16',
                      'components']
    assert rec['kind'] == 'profile' and rec['settings']['num_classes'] == len(TINY_VOCAB)
    assert rec['settings']['kept_classes'] == 4
    assert sum(rec['flops']['by_component'].values()) == rec['flops']['total']
    # ptflops agrees with fvcore's matrix-product share up to the bias additions it adds
    assert 1.0 <= rec['ptflops']['macs'] / rec['flops']['matmul'] < 1.05
    assert rec['params']['total'] == sum(p.numel() for p in model.parameters())
    assert rec['latency']['runs'] == 2 and rec['memory']['kind'].startswith(('cpu', 'cuda'))
    cl = rec['executions']['channels-last']
    assert cl['accuracy_vs_reference']['kept_identical'] is True
    assert cl['accuracy_vs_reference']['max_abs_diff'] < 1e-3
    assert cl['speedup_vs_reference'] > 0
    assert 'accuracy_vs_reference' in rec['executions']['bf16']
    assert set(rec['component_latency_ms']) >= {'CLIP visual', 'RRCA spatial', OTHER}
    # channels-last was undone: the weights are back in the default layout
    assert all(p.is_contiguous() for p in model.parameters())
