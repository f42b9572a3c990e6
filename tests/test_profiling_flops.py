"""FLOP counting: attention handles against hand counts, fvcore vs ptflops, components."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg_errseg.profiling import (ComponentMap, attention_flops, count_flops, errseg_target,
                                    ptflops_macs)
from mmseg_errseg.profiling.components import OTHER

from conftest import TINY_VOCAB, build_model


class _Attention(nn.Module):
    """A linear projection followed by one SDPA call: every flop is hand-countable."""

    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.proj = nn.Linear(dim, dim)

    def forward(self, q, kv):
        n, length, c = q.shape
        q = self.proj(q).view(n, length, self.heads, c // self.heads).transpose(1, 2)
        k = kv.view(n, kv.shape[1], self.heads, c // self.heads).transpose(1, 2)
        return F.scaled_dot_product_attention(q, k, k)


def test_attention_flops_formula():
    # QK^T: 2*4*10*6*8, AV: 2*4*10*6*8
    assert attention_flops((2, 4, 10, 8), (2, 4, 6, 8), (2, 4, 6, 8)) == 2 * (2 * 4 * 10 * 6 * 8)
    # values of another width, broadcast batch dims
    assert attention_flops((3, 1, 5, 4), (1, 2, 7, 4), (1, 2, 7, 6)) == 3 * 2 * 5 * 7 * (4 + 6)
    with pytest.raises(ValueError, match='attention needs'):
        attention_flops((4,), (4, 2), (4, 2))


@pytest.mark.filterwarnings('ignore::FutureWarning')
def test_count_flops_adds_the_attention_fvcore_skips():
    from fvcore.nn import FlopCountAnalysis
    model = _Attention().eval()
    q, kv = torch.randn(3, 10, 16), torch.randn(3, 6, 16)
    linear = 3 * 10 * 16 * 16
    attention = 2 * 3 * 2 * 10 * 6 * 8  # 2 * N * heads * L * S * d
    count = count_flops(model, (q, kv))
    assert count.added == attention
    assert count.total == linear + attention
    assert count.by_operator == {'linear': linear, 'scaled_dot_product_attention': attention}
    assert count.matmul == count.total
    # plain fvcore misses the attention silently: this is why the handle exists
    plain = FlopCountAnalysis(model, (q, kv))
    plain.unsupported_ops_warnings(False)
    assert plain.total() == linear


def test_ptflops_cross_check_counts_attention_and_bias():
    model = _Attention().eval()
    q, kv = torch.randn(3, 10, 16), torch.randn(3, 6, 16)
    linear, bias, attention = 3 * 10 * 16 * 16, 3 * 10 * 16, 2 * 3 * 2 * 10 * 6 * 8
    assert ptflops_macs(model, (q, kv)) == linear + bias + attention
    # no hooks are left on the model
    assert not model._forward_hooks and not model._forward_pre_hooks


def test_component_map_partition_and_nesting():
    comps = ComponentMap({'outer': ['a'], 'inner': ['a.layers.*.x'], 'b': ['b']})
    assert comps.component_of('a') == 'outer'
    assert comps.component_of('a.proj') == 'outer'
    assert comps.component_of('a.layers.0') == 'outer'
    assert comps.component_of('a.layers.3.x.fc') == 'inner'
    assert comps.component_of('a.layers.3.y') == 'outer'
    assert comps.component_of('c.d') == OTHER
    assert comps.component_of('') == OTHER
    # inclusive per-module totals -> exclusive per-component sums
    totals = {'': 100, 'a': 60, 'a.proj': 10, 'a.layers': 40, 'a.layers.0': 40, 'a.layers.0.x': 25,
              'b': 30, 'c': 0}
    assert comps.partition(totals) == {'outer': 35, 'inner': 25, 'b': 30, OTHER: 10}
    assert comps.roots(totals) == {'a': 'outer', 'a.layers.0.x': 'inner', 'b': 'b'}
    with pytest.raises(ValueError, match='several components'):
        ComponentMap({'p': ['a.*'], 'q': ['a.b']}).component_of('a.b')
    with pytest.raises(ValueError, match='reserved'):
        ComponentMap({OTHER: ['a']})


def _tiny_target(p=4, **overrides):
    model = build_model(**overrides).eval()
    return errseg_target(model, TINY_VOCAB, p, model.crop_size)


@pytest.mark.parametrize('p', [4, 2])
def test_tiny_errseg_attention_by_hand(p):
    """Tiny ERR-Seg (64x64, dim 32, 4 layers): os16 grid 4x4, SSR 2 -> 2x2 keys, CSR 2 -> 2x2 pixels."""
    target = _tiny_target(p)
    count = count_flops(target.forward, (target.example_input(),), target.components, target.PREFIX)
    head = target.model.decode_head
    c, layers = head.rrca.layers[0].spatial.norm1.normalized_shape[0], len(head.rrca.layers)
    spatial = 2 * p * 16 * 4 * c  # per class: 16 queries x 4 reduced keys
    classes = 2 * 4 * p * p * c  # per pooled pixel: P x P
    assert count.added == layers * (spatial + classes)
    assert sum(count.by_component.values()) == count.total
    assert count.by_component[OTHER] == 0  # every counted op lies in a named component
    assert count.by_component['RRCA spatial'] > 0 and count.by_component['RRCA class'] > 0
    assert 'aten::mul' in count.uncounted  # reported, not silently dropped


def test_tiny_errseg_flops_scale_with_p_not_visual():
    counts = {}
    for p in (2, 8):
        t = _tiny_target(p)
        counts[p] = count_flops(t.forward, (t.example_input(),), t.components, t.PREFIX).by_component
    assert counts[2]['CLIP visual'] == counts[8]['CLIP visual']
    for name in ('RRHC', 'RRCA spatial', 'RRCA class', 'upsampling decoder'):
        assert counts[8][name] > counts[2][name], name


def test_cost_aggregation_baseline_keeps_every_class_without_reduction():
    from mmseg_errseg.profiling import COST_AGGREGATION_BASELINE
    switches = COST_AGGREGATION_BASELINE['decode_head']
    model = build_model(**{f'decode_head.{k}': v for k, v in switches.items()})
    target = errseg_target(model.eval(), TINY_VOCAB, 4, model.crop_size)
    assert target.settings['kept_classes'] == len(TINY_VOCAB)
    assert target.settings['sr_ratio'] == [1] * 4 and target.settings['class_pool'] == [1] * 4
    count = count_flops(target.forward, (target.example_input(),), target.components, target.PREFIX)
    t, c = len(TINY_VOCAB), 32
    # no SSR: 16 x 16 spatial attention per class; no CSR: T x T class attention at 16 pixels
    assert count.added == 4 * (2 * t * 16 * 16 * c + 2 * 16 * t * t * c)


def test_parameter_groups_partition_the_model():
    target = _tiny_target()
    model = target.model
    groups = target.param_groups.group_parameters(model.named_parameters())
    visual = sum(p.numel() for p in model.backbone.clip.visual.parameters()) + \
        sum(p.numel() for p in model.backbone.os16_downsample.parameters())
    assert groups['visual'] == visual
    assert groups['decoder'] == sum(p.numel() for p in model.decode_head.parameters())
    assert groups['text'] == sum(p.numel() for p in model.backbone.parameters()) - visual
    assert sum(groups.values()) == sum(p.numel() for p in model.parameters())


class _MaskedScores(nn.Module):
    def forward(self, bias, a, b):
        return torch.baddbmm(bias, a, b).softmax(-1)


def test_baddbmm_product_is_counted_by_both_counters():
    bias, a, b = torch.randn(1, 5, 7), torch.randn(3, 5, 4), torch.randn(3, 4, 7)
    product = 3 * 5 * 4 * 7
    count = count_flops(_MaskedScores(), (bias, a, b))
    assert count.total == count.added == product
    assert ptflops_macs(_MaskedScores(), (bias, a, b)) == product


def test_tiny_errseg_paper_convention_count_is_pinned():
    # the official execution of the tiny model (guidance concatenated to every class before each linear map),
    # counted by hand-checked handles; a split execution of the same function must not change these
    from mmseg_errseg.profiling.flops import count_paper_and_executed
    expected = {4: dict(total=18088960, rrca_spatial=5232640, decoder=4628480),
                2: dict(total=12848640, rrca_spatial=2616320, decoder=2636800)}
    for p, want in expected.items():
        target = _tiny_target(p)
        paper, executed = count_paper_and_executed(target.forward, (target.example_input(),), target.model,
                                                   target.components, target.PREFIX)
        assert paper.total == want['total'] and paper.by_component['CLIP visual'] == 6653952
        assert paper.by_component['RRCA spatial'] == want['rrca_spatial']
        assert paper.by_component['upsampling decoder'] == want['decoder']
        assert executed is None or executed.total < paper.total  # a split form only saves work


class _GuidedLinear(nn.Module):
    """linear([x || g]) with g shared by P classes: officially g is copied to every class (``concat``)."""

    def __init__(self, c=8, cg=4):
        super().__init__()
        self.linear = nn.Linear(c + cg, c)
        self.concat = False

    def forward(self, x, g):  # x (P, L, C), g (1, L, Cg)
        if self.concat:
            return self.linear(torch.cat([x, g.expand(x.shape[0], -1, -1)], -1))
        c = x.shape[-1]
        return F.linear(x, self.linear.weight[:, :c]) + F.linear(g, self.linear.weight[:, c:], self.linear.bias)


def test_paper_convention_counts_the_official_form_and_reports_the_executed_one(monkeypatch):
    import contextlib

    from mmseg_errseg.profiling import flops

    @contextlib.contextmanager
    def official(model):
        model.concat = True
        yield
        model.concat = False

    model, x, g = _GuidedLinear(), torch.randn(5, 3, 8), torch.randn(1, 3, 4)
    monkeypatch.setattr(flops, 'paper_convention', official)
    paper, executed = flops.count_paper_and_executed(model, (x, g), model)
    assert paper.total == 5 * 3 * 12 * 8  # P x L x (C + Cg) x C
    assert executed.total == 5 * 3 * 8 * 8 + 3 * 4 * 8  # the guidance term once
    assert model.concat is False
