"""The experiment registry: the paper's figures as the paper prints them, valid switches, --tables parsing."""
import re

import pytest

from conftest import REPO, build_model
from mmseg_errseg.harness import EXPERIMENTS, experiment_keys
from mmseg_errseg.harness.experiments import Column, Experiment, Variant

PAPER_TABLES = REPO / 'tests' / 'data' / 'paper_tables.txt'


def _paper_rows(number: int):
    """The numeric cells of each data row of the paper's Table ``number`` ('-' -> None, '92.5%' -> 92.5)."""
    text = PAPER_TABLES.read_text(encoding='utf-8')
    block = re.search(rf'^Table {number}\n(.*?)(?=^\nTable |\Z)', text, re.S | re.M).group(1)
    rows = []
    for line in [line for line in block.splitlines() if '\t' in line][1:]:  # after the header
        values = []
        for field in line.split('\t'):
            field = re.sub(r'</?u>', '', field).strip().rstrip('%')
            if field == '-':
                values.append(None)
            elif re.fullmatch(r'\d+(\.\d+)?', field):
                values.append(float(field))
        if values:
            rows.append(values)
    return rows


def _registry_rows(exp: Experiment, skip=()):
    # ratio columns are the paper's figures divided (tested below), not figures the paper prints
    cols = [c for c in exp.columns if c.name not in skip and not (c.per_row or c.per_baseline)]
    if exp.layout == 'param_per_dataset':
        rows = {}
        for v in exp.variants:
            rows.setdefault(v.row, []).extend([v.x, v.paper[v.columns[0]]])
        return list(rows.values())
    rows = []
    for v in exp.variants:
        row = [v.paper.get(c.name) for c in cols]
        rows.append(([v.x] if exp.key == 'table7' else []) + row)
    return rows


@pytest.mark.parametrize('number', range(1, 15))
def test_every_paper_figure_is_transcribed_as_the_paper_prints_it(number):
    exp = EXPERIMENTS[f'table{number}']
    skip = ('≥ 0.85',) if number == 2 else ()  # a column of ours the paper does not have
    assert _registry_rows(exp, skip) == _paper_rows(number)


def test_the_papers_ratios_are_its_figures_divided():
    t11 = {v.label: v.paper for v in EXPERIMENTS['table11'].variants}
    for label, paper in t11.items():
        for what in ('Memory', 'Latency'):
            assert paper[f'{what} ÷ off/off'] == round(paper[what] / t11['SSR off, CSR off'][what], 2)
    t4 = {v.label: v.paper for v in EXPERIMENTS['table4'].variants}
    for d in ('A-847', 'A-150'):
        ours, san = t4['ERR-Seg'][f'{d} Latency'], t4['SAN'][f'{d} Latency']
        assert t4['ERR-Seg'][f'{d} Latency ÷ SAN'] == round(ours / san, 2)
        assert f'{d} Latency ÷ cost agg.' not in t4['ERR-Seg']  # the paper has no such baseline


def test_a_few_cells_by_name():
    t3 = {(v.label, v.model): v for v in EXPERIMENTS['table3'].variants}
    assert t3[('ERR-Seg (ours)', 'l')].paper['A-150'] == 38.3
    assert t3[('SimBaseline (ViT-B/16)', 'b')].paper['PC-459'] is None  # '-' in the paper
    t11 = {v.label: v for v in EXPERIMENTS['table11'].variants}
    assert t11['SSR on, CSR off'].paper['GFLOPs'] == 134.6 and t11['SSR off, CSR on'].paper['Memory'] == 7.8
    t8 = [v for v in EXPERIMENTS['table8'].variants if v.columns == ('PAS-20',)]
    assert [(v.x, v.paper['PAS-20']) for v in t8] == [(4, 90.2), (8, 95.3), (12, 95.4), (16, 95.4)]


def _layers(head):
    return head.rrca.layers


#: How a switch that the built module does not keep as an attribute of its own name shows in the module.
PROBES = {
    'decode_head.cost_maps': lambda h: 'hierarchical' if h.rrhc.hierarchical else 'single',
    'decode_head.spatial_aggregation': lambda h: all(layer.spatial is not None for layer in _layers(h)),
    'decode_head.class_aggregation': lambda h: all(layer.classes is not None for layer in _layers(h)),
    'decode_head.sr_ratio': lambda h: _one({layer.spatial.attn.sr_ratio for layer in _layers(h)}),
    'decode_head.class_pool': lambda h: _one({layer.classes.class_pool for layer in _layers(h)}),
    'decode_head.mlp_type': lambda h: _one({m.mlp_type for layer in _layers(h)
                                            for m in (layer.spatial.mlp, layer.classes.mlp)}),
}


def _one(values):
    assert len(values) == 1, values
    return values.pop()


def _built_value(model, dotted):
    part, key = dotted.split('.')
    module = getattr(model, part)
    if dotted in PROBES:
        return PROBES[dotted](module)
    for owner in (module, getattr(module, 'rrhc', None)):
        if owner is not None and key in dir(owner):
            return getattr(owner, key)
    raise AssertionError(f'{dotted}: neither an attribute of the built {part} nor in PROBES: add a probe that '
                         'reads the switch off the built module')


def test_variants_use_only_switch_keys_and_build():
    """Every training override is a real constructor argument, and the built model holds every value set."""
    seen = set()
    for exp in EXPERIMENTS.values():
        for v in exp.variants:
            if not v.train or tuple(sorted(v.train.items())) in seen:
                continue
            seen.add(tuple(sorted(v.train.items())))
            nested = {}
            for dotted, value in v.train.items():
                part, key = dotted.split('.')
                assert part in ('backbone', 'decode_head'), dotted
                nested.setdefault(part, {})[key] = value
            model = build_model(vocabulary=['a', 'b', 'c'], **nested)
            for dotted, value in v.train.items():
                assert _built_value(model, dotted) == value, (exp.key, dotted)
    assert len(seen) >= 20


def test_every_switch_is_checked_against_the_default_model_too():
    """The probes read the official values off the default model (so a probe cannot pass on anything)."""
    model = build_model(vocabulary=['a', 'b', 'c'])
    official = {'decode_head.cost_maps': 'hierarchical', 'decode_head.spatial_aggregation': True,
                'decode_head.class_aggregation': True, 'decode_head.sr_ratio': 2, 'decode_head.class_pool': 2,
                'decode_head.mlp_type': 'star'}
    assert {k: _built_value(model, k) for k in official} == official
    with pytest.raises(AssertionError, match='add a probe'):
        _built_value(model, 'decode_head.no_such_switch')


def test_measured_rows_and_other_methods():
    t13 = {v.label: v for v in EXPERIMENTS['table13'].variants}
    assert not t13['ViT-B/16'].measured and 'not implemented' in t13['ViT-B/16'].unsupported
    assert t13['ConvNeXt-B'].train == {'backbone.finetune': 'frozen'} and t13['ConvNeXt-B'].train_crop == 384
    others = [v for v in EXPERIMENTS['table4'].variants if not v.measured]
    assert len(others) == 7 and all("paper's figure only" in v.paper_only for v in others)
    # inference-only variants need no training of their own
    assert not any(v.trains_own_model for k in ('table7', 'table8', 'table14') for v in EXPERIMENTS[k].variants)
    assert all(v.trains_own_model for v in EXPERIMENTS['fig6'].variants if v.x != 0.1)


def test_tables_option():
    assert experiment_keys('all') == list(EXPERIMENTS)
    assert experiment_keys('11, 4,Table 8, fig1,Figure 6') == ['table4', 'table8', 'table11', 'fig1', 'fig6']
    with pytest.raises(ValueError, match=r"unknown table or figure 'table15'.*fig1"):
        experiment_keys('4,15')
    with pytest.raises(ValueError, match='is empty'):
        experiment_keys(' , ')


def test_declarations_are_checked():
    with pytest.raises(ValueError, match='not inference-only'):
        Variant('x', test={'decode_head.mlp_type': 'vanilla'})
    with pytest.raises(ValueError, match='unknown columns'):
        Experiment('t', 'T', 'c', (Column('A'),), (Variant('x', paper={'B': 1.0}),))
    with pytest.raises(ValueError, match='source'):
        Column('A', source='guess')
