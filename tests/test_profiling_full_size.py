"""Full-size ERR-Seg-B (640x640) FLOPs against the official implementation's figures (slow).

The figures (fvcore, 1 FMA = 1 flop, attention counted) are those of the official
implementation measured the same way: Table 4 (T=847, P=48: 346.3, visual 171.0,
decoder 175.3; T=150, P=32: 288.3) and Table 11 (aggregator only, T=150, P=32).
"""
import pytest

from mmseg_errseg.harness import EXPERIMENTS
from mmseg_errseg.profiling import (AGGREGATOR_COMPONENTS, build_segmentor, count_flops, errseg_target,
                                    load_model_config)
from mmseg_errseg.vocabularies import load_vocabulary

from conftest import CONFIGS

pytestmark = pytest.mark.slow
B = str(CONFIGS / '_base_' / 'models' / 'errseg_convnext-b.py')
#: GFLOPs of the official implementation measured with fvcore, attention counted (total = visual + decoder).
OFFICIAL = {'A-847': dict(gflops=346.3, visual=171.0, decoder=175.3),
            'A-150': dict(gflops=288.3, visual=171.0, decoder=117.3)}


def _count(vocabulary, p, overrides=None):
    model = build_segmentor(load_model_config(B), overrides, (640, 640))
    target = errseg_target(model, load_vocabulary(vocabulary), p, (640, 640))
    return count_flops(target.forward, (target.example_input(),), target.components, target.PREFIX)


@pytest.mark.parametrize('setting,vocabulary,p', [('A-847', 'ade847', 48), ('A-150', 'ade150', 32)])
def test_table4_flops_match_the_official_implementation(setting, vocabulary, p):
    official = OFFICIAL[setting]
    count = _count(vocabulary, p)
    visual = count.by_component['CLIP visual'] / 1e9
    total = count.total / 1e9
    assert total == pytest.approx(official['gflops'], rel=0.01)
    assert visual == pytest.approx(official['visual'], rel=0.01)
    assert total - visual == pytest.approx(official['decoder'], rel=0.01)


@pytest.mark.parametrize('ssr,csr', [(False, False), (False, True), (True, False), (True, True)])
def test_table11_aggregator_flops_match_the_paper(ssr, csr):
    overrides = dict(decode_head=dict(sr_ratio=2 if ssr else 1, class_pool=2 if csr else 1))
    count = _count('ade150', 32, overrides)
    aggregator = sum(count.by_component[c] for c in AGGREGATOR_COMPONENTS) / 1e9
    paper = {v.label: v.paper['GFLOPs'] for v in EXPERIMENTS['table11'].variants}
    label = f'SSR {"on" if ssr else "off"}, CSR {"on" if csr else "off"}'
    assert aggregator == pytest.approx(paper[label], abs=0.2)
