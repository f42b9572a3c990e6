"""Memory, latency, component timing and execution modes."""
import sys
import time

import pytest
import torch
import torch.nn as nn

from mmseg_errseg.profiling import (ComponentMap, ComponentTimer, PeakMemory, compare_outputs,
                                    errseg_target, measure_latency, profile_target)
from mmseg_errseg.profiling.components import OTHER
from mmseg_errseg.profiling.memory import PeakRSS, module_training_memory

from conftest import TINY_VOCAB, build_model

MIB = 2 ** 20


def test_peak_memory_counts_live_tensors():
    with PeakMemory('cpu') as mem:
        a = torch.ones(8 * MIB // 4)
        b = torch.ones(8 * MIB // 4)  # 16 MiB live
        del a
        c = torch.ones(4 * MIB // 4)  # 12 MiB live
        del b, c
        d = torch.ones(2 * MIB // 4)
    assert mem.stats.kind == 'cpu_tensor_peak' and mem.stats.baseline == 0
    assert mem.stats.peak == mem.stats.delta == 16 * MIB  # the allocator's bytes, nothing cached
    with PeakMemory('cpu') as freeing:  # frees of tensors from before the block lower the running sum
        del d
        e = torch.ones(MIB // 4)
    assert freeing.stats.peak == 0 and e.numel() == MIB // 4
    with PeakMemory('cpu') as idle:
        pass
    assert idle.stats.peak == 0


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='process RSS peaks need /proc')
def test_peak_rss_sees_a_freed_allocation():
    with PeakRSS() as mem:
        x = torch.ones(32 * MIB // 4)  # 32 MiB, pages touched
        del x
    assert mem.stats.kind == 'cpu_peak_rss'
    assert mem.stats.delta >= 30 * MIB
    assert mem.stats.peak >= mem.stats.baseline + mem.stats.delta
    # a second block that allocates nothing large has a small peak of its own
    with PeakRSS() as idle:
        pass
    assert idle.stats.delta < 8 * MIB
    assert 0 < idle.stats.baseline < 10 * 2 ** 40  # the resident set at entry


def _target(ssr, csr, size):
    """Tiny ERR-Seg, T = P = 32: the aggregator's attention and activations dominate."""
    torch.manual_seed(0)
    model = build_model(**{'decode_head.sr_ratio': ssr, 'decode_head.class_pool': csr, 'crop_size': (size, size)})
    return errseg_target(model.eval(), [f'class {i}' for i in range(32)], 32, (size, size))


def _peak(ssr, csr, size=256):
    target = _target(ssr, csr, size)
    return module_training_memory(target.forward, target.example_input(), target.forward, 'cpu').peak


def test_aggregator_training_peak_falls_with_ssr_and_with_csr():
    """Table 11's memory: one training step of the RRCA module alone, explicit attention."""
    peaks = {}
    for ssr in (1, 2):
        for csr in (1, 2):
            target = _target(ssr, csr, 256)
            frozen = [p.requires_grad for p in target.model.parameters()]
            peaks[ssr, csr] = module_training_memory(target.forward, target.example_input(),
                                                     target.model.decode_head.rrca, 'cpu').peak
            # the model is left as it was: no gradients, the same parameters trainable
            assert [p.requires_grad for p in target.model.parameters()] == frozen
            assert all(p.grad is None for p in target.model.parameters())
    assert peaks[2, 1] < 0.75 * peaks[1, 1] and peaks[2, 2] < 0.75 * peaks[1, 2]  # SSR
    assert peaks[1, 2] < 0.9 * peaks[1, 1] and peaks[2, 2] < 0.9 * peaks[2, 1]  # CSR


def test_ssr_and_csr_each_lower_the_peak_tensor_memory():
    peaks = {(ssr, csr): _peak(ssr, csr) for ssr in (1, 2) for csr in (1, 2)}
    assert peaks[(2, 1)] < 0.9 * peaks[(1, 1)]  # SSR: keys and values (and their attention) on 1/4 of the grid
    assert peaks[(1, 2)] < 0.9 * peaks[(1, 1)]  # CSR: the class block on 1/4 of the pixels
    assert peaks[(2, 2)] < min(peaks[(2, 1)], peaks[(1, 2)])


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
    assert rec['latency']['runs'] == 2 and rec['memory']['kind'] == 'cpu_tensor_peak'
    with torch.inference_mode():
        logits, _ = target.forward(target.example_input())
    assert rec['memory']['peak'] >= logits.numel() * logits.element_size()  # the output at least
    assert rec['process_rss']['kind'] in ('cpu_peak_rss', 'cpu_lifetime_peak_rss')
    assert 'aggregator_memory' not in rec  # measured on request only
    cl = rec['executions']['channels-last']
    assert cl['accuracy_vs_reference']['kept_identical'] is True
    assert cl['accuracy_vs_reference']['max_abs_diff'] < 1e-3
    assert cl['speedup_vs_reference'] == pytest.approx(
        rec['latency']['median_ms'] / cl['latency']['median_ms'])
    assert 'accuracy_vs_reference' in rec['executions']['bf16']
    assert set(rec['component_latency_ms']) >= {'CLIP visual', 'RRCA spatial', OTHER}
    # channels-last was undone: the weights are back in the default layout
    assert all(p.is_contiguous() for p in model.parameters())


def test_cuda_paths_synchronise_only_around_timing(monkeypatch):
    # no GPU here: the CUDA calls are recorded, not run; what is checked is where they happen
    calls = []
    monkeypatch.setattr(torch.cuda, 'synchronize', lambda device=None: calls.append('sync'))
    monkeypatch.setattr(torch.cuda, 'reset_peak_memory_stats', lambda device=None: calls.append('reset'))
    monkeypatch.setattr(torch.cuda, 'memory_allocated', lambda device=None: 100)
    monkeypatch.setattr(torch.cuda, 'max_memory_allocated', lambda device=None: 350)

    def work():
        calls.append('work')

    stats = measure_latency(work, runs=3, warmup=2, device='cuda')
    assert len(stats.times_ms) == 3
    # one sync after the warm-up, then one closing each timed run: none inside the work
    assert calls == ['work', 'work', 'sync'] + ['work', 'sync'] * 3
    calls.clear()
    with PeakMemory('cuda:0') as mem:
        work()
    assert calls == ['sync', 'reset', 'work', 'sync']
    assert (mem.stats.kind, mem.stats.peak, mem.stats.baseline, mem.stats.delta) == ('cuda_max_allocated', 350, 100, 250)


def test_profile_target_aggregator_memory_keeps_what_the_backward_needs():
    model = build_model().eval()
    target = errseg_target(model, TINY_VOCAB, 4, model.crop_size)
    stages = []
    rec = profile_target(target, runs=1, warmup=0, flops=False, ptflops=False, components=False,
                         aggregator_memory=True, on_stage=stages.append)
    assert stages == ['latency:eager', 'aggregator_memory']
    train, infer = rec['aggregator_memory'], rec['memory']
    assert train['kind'] == infer['kind'] == 'cpu_tensor_peak'
    assert train['peak'] > infer['peak']  # the activations saved for the backward
    assert all(p.grad is None for p in model.parameters()) and not model.training
