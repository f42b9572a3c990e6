"""Tables and plots are views over records: values, reasons for missing cells, the paper's column, files."""
import json

import numpy as np
import pytest

from mmseg_errseg.datasets import get_benchmark
from mmseg_errseg.harness import EXPERIMENTS
from mmseg_errseg.harness.planner import PlanOptions, make_plan
from mmseg_errseg.harness.record_store import RecordStore
from mmseg_errseg.harness.executor import why_missing
from mmseg_errseg.harness.scales import SMOKE
from mmseg_errseg.profiling import AGGREGATOR_COMPONENTS
from mmseg_errseg.views import experiment_cells, plan_lookup, profile_metrics, wide_table, write_experiment
from mmseg_errseg.views.plots import write_plot

NAMES = ('table1', 'table5', 'table8', 'table9')


def _cell(plan, exp_key, label, column):
    exp = EXPERIMENTS[exp_key]
    i = next(i for i, v in enumerate(exp.variants) if v.label == label)
    return plan.cell(exp, i, next(c for c in exp.columns if c.name == column)).runs


@pytest.fixture(scope='module')
def recorded(tmp_path_factory):
    """A plan with a few hand-made records: the official A-847 evaluation, A-847 statistics, a split."""
    root = tmp_path_factory.mktemp('views')
    plan = make_plan([EXPERIMENTS[k] for k in NAMES], PlanOptions(SMOKE, data_root='unused'))
    store = RecordStore(root)
    classes = list(get_benchmark('ade847').classes())
    iou = [None] * len(classes)
    iou[:4] = [50.0, 30.0, 10.0, 20.0]  # seen: classes 0, 1 -> 40; unseen: 2, 3 -> 15; the rest never occur
    eval_key, sim_key = _cell(plan, 'table5', 'ERR-Seg', 'A-847 Seen')
    store.write(plan.runs[eval_key], dict(kind='eval', dataset='ade847', classes=classes,
                                          metrics=dict(mIoU=27.5, mean_gt_classes=3.0, mean_overlap_classes=2.25),
                                          per_class=dict(IoU=iou)), 1.0)
    split = root / 'analysis' / 'split_ade847.json'
    split.parent.mkdir()
    split.write_text(json.dumps(dict(dataset='ade847', train='coco_stuff171', encoder='fake', threshold=0.95,
                                     seen=classes[:2], unseen=classes[2:])))
    store.write(plan.runs[sim_key], dict(table2=[], splits={'ade847': 'analysis/split_ade847.json'}), 1.0)
    stats_key = _cell(plan, 'table1', 'Average', 'A-847')[0]
    store.write(plan.runs[stats_key], dict(rows=[dict(avg_classes=4.0, redundancy=99.5)]), 1.0)
    return plan, store, root


def _cells_of(plan, store, key, smoke=False):
    return experiment_cells(EXPERIMENTS[key], plan_lookup(plan, store, why_missing(plan, None)), store.resolve, smoke)


def _cells(recorded, key):
    plan, store, _ = recorded
    return _cells_of(plan, store, key).set_index(['variant', 'column'])


def test_values_come_from_records_and_missing_cells_say_why(recorded):
    t9 = _cells(recorded, 'table9')
    assert t9.loc[('w/ removal', 'A-847 mIoU'), 'ours'] == 27.5
    assert t9.loc[('w/ removal', 'A-847 mIoU'), 'diff'] == pytest.approx(27.5 - 13.9)
    assert t9.loc[('w/ removal', 'A-847 #Classes'), 'ours'] == 2.25
    assert t9.loc[('Ground Truth', 'A-847 #Classes'), 'ours'] == 3.0  # the same record, the ground-truth count
    missing = t9.loc[('w/o removal', 'A-847 mIoU')]
    assert np.isnan(missing['ours']) and missing['paper'] == 14.0
    assert missing['note'] == 'no record: not run yet (run the same command again)'
    t5 = _cells(recorded, 'table5')
    assert t5.loc[('ERR-Seg', 'A-847 Seen'), 'ours'] == pytest.approx(40.0)
    assert t5.loc[('ERR-Seg', 'A-847 Unseen'), 'ours'] == pytest.approx(15.0)
    cat = t5.loc[('CAT-Seg', 'A-847 Seen')]
    assert np.isnan(cat['ours']) and cat['paper'] == 29.2 and "paper's figure only" in cat['note']
    t1 = _cells(recorded, 'table1')
    assert t1.loc[('Average', 'A-847'), 'ours'] == 4.0 and t1.loc[('Redundancy (%)', 'A-847'), 'ours'] == 99.5


def test_the_paper_layout_with_footnotes(recorded):
    plan, store, _ = recorded
    exp = EXPERIMENTS['table8']
    frame, notes = wide_table(exp, _cells_of(plan, store, 'table8'))
    assert list(frame.columns[:5]) == ['#', 'A-847 P', 'A-847 ours', 'A-847 paper', 'A-847 Δ']
    row = frame[frame['#'] == '2'].iloc[0]  # P = 48 on A-847 is the official evaluation
    assert (row['A-847 P'], row['A-847 ours'], row['A-847 paper'], row['A-847 Δ']) == ('48', '27.5', '13.9', '+13.6')
    assert frame[frame['#'] == '1'].iloc[0]['A-847 ours'] == 'n/a [1]'
    assert notes == ['[1] no record: not run yet (run the same command again)']


def test_values_of_records_that_are_not_current_carry_their_mark(recorded, monkeypatch):
    plan, store, _ = recorded
    eval_key = _cell(plan, 'table9', 'w/ removal', 'A-847 mIoU')[0]
    mark = 'made with uncommitted changes in its code (abc123)'
    monkeypatch.setattr(store, 'mark', lambda key: mark if key == eval_key else None)
    frame, notes = wide_table(EXPERIMENTS['table8'], _cells_of(plan, store, 'table8'))
    assert frame[frame['#'] == '2'].iloc[0]['A-847 ours'] == '27.5 [2]'  # the value, marked
    assert notes == ['[1] no record: not run yet (run the same command again)', f'[2] {mark}']


def test_files_are_labelled_smoke(recorded, tmp_path):
    plan, store, _ = recorded
    exp = EXPERIMENTS['table9']
    cells = _cells_of(plan, store, 'table9', smoke=True)
    files = write_experiment(exp, cells, tmp_path, smoke=True, provenance='made by a test')
    assert sorted(p.name for p in files) == ['table9_smoke.csv', 'table9_smoke.md', 'table9_smoke.tex',
                                             'table9_smoke_cells.csv']
    md = (tmp_path / 'table9_smoke.md').read_text()
    assert 'Table 9 [SMOKE]' in md and 'NOT results' in md and 'made by a test' in md
    tex = (tmp_path / 'table9_smoke.tex').read_text()
    assert '\\begin{tabular}' in tex and '\\#Classes' in tex and 'Table 9 [SMOKE]' in tex
    png = write_plot(EXPERIMENTS['table8'], _cells_of(plan, store, 'table8', smoke=True), tmp_path, smoke=True)
    assert png.name == 'table8_smoke.png' and png.read_bytes()[:4] == b'\x89PNG'


def test_smoke_tables_carry_no_difference(recorded, tmp_path):
    plan, store, _ = recorded
    cells = _cells_of(plan, store, 'table9', smoke=True)
    assert cells['diff'].isna().all() and cells['ours'].notna().any()
    write_experiment(EXPERIMENTS['table9'], cells, tmp_path, smoke=True)
    header = (tmp_path / 'table9_smoke.csv').read_text().splitlines()[0]
    assert 'A-847 mIoU ours' in header and 'Δ' not in header
    assert 'Δ' not in (tmp_path / 'table9_smoke.md').read_text()


def _records(by_index):
    """A lookup over hand-made results per row index (rows without one: another method)."""
    def lookup(i, variant, column):
        if i not in by_index:
            return None, variant.paper_only or 'no record', ()
        return [by_index[i]], None, (f'record{i}.json',)
    return lookup


def test_rows_are_variants_by_identity_not_by_label():
    """Table 3 repeats "ERR-Seg (ours)" in both backbone groups: each row keeps its own backbone."""
    exp = EXPERIMENTS['table3']
    ours = [i for i, v in enumerate(exp.variants) if v.measured]
    assert len({exp.variants[i].label for i in ours}) < len(ours)  # labels repeat
    cells = experiment_cells(exp, _records({i: dict(metrics=dict(mIoU=float(i))) for i in ours}))
    frame, _ = wide_table(exp, cells)
    for i in ours:
        v = exp.variants[i]
        row = frame[(frame['Group'] == v.group) & (frame['Method'] == v.label)].iloc[0]
        assert row['VLM'] == v.descr['VLM'] and row['A-847 ours'] == f'{i:.1f}'
    assert set(frame[frame['Method'] == 'ERR-Seg (ours)']['VLM']) == {'ConvNeXt-B', 'ConvNeXt-L'}


def _profile(latency_ms, aggregator_ms, memory_gib, device='cpu', **extra):
    per = aggregator_ms / len(AGGREGATOR_COMPONENTS)
    return dict(kind='profile', environment=dict(device=device), latency=dict(median_ms=latency_ms),
                memory=dict(delta=memory_gib * 2 ** 30, kind='cpu_tensor_peak'),
                aggregator_memory=dict(delta=2 * memory_gib * 2 ** 30, kind='cpu_tensor_peak'),
                flops=dict(total=300e9, by_component={'CLIP visual': 170e9,
                                                      **{c: 25e9 for c in AGGREGATOR_COMPONENTS}}),
                params=dict(total=120e6), component_latency_ms={c: per for c in AGGREGATOR_COMPONENTS}, **extra)


def test_profile_metrics():
    m = profile_metrics(_profile(900.0, 400.0, 2.0))
    assert m['gflops'] == 300 and m['visual_gflops'] == 170 and m['decoder_gflops'] == 130
    assert m['aggregator_gflops'] == pytest.approx(25 * len(AGGREGATOR_COMPONENTS))
    assert m['aggregator_ms'] == pytest.approx(400)
    assert m['memory_gib'] == 2.0 and m['aggregator_memory_gib'] == 4.0
    assert m['latency_ms'] == 900 and m['params_m'] == 120


def test_table11_ratios_to_ssr_off_csr_off_measured_on_one_device():
    exp = EXPERIMENTS['table11']
    labels = [v.label for v in exp.variants]
    latency = {'SSR off, CSR off': 3647.0, 'SSR off, CSR on': 3000.0, 'SSR on, CSR off': 2000.0,
               'SSR on, CSR on': 1762.0}
    records = {i: _profile(5000.0, latency[label], 1.0 + i) for i, label in enumerate(labels)}
    cells = experiment_cells(exp, _records(records)).set_index(['variant', 'column'])
    both = cells.loc[('SSR on, CSR on', 'Latency ÷ off/off')]
    assert both['ours'] == pytest.approx(1762 / 3647) and both['paper'] == 0.48  # the paper: 49 / 103 ms
    assert both['diff'] == pytest.approx(1762 / 3647 - 0.48)
    assert cells.loc[('SSR off, CSR off', 'Memory ÷ off/off'), 'ours'] == 1.0
    assert cells.loc[('SSR on, CSR on', 'Memory ÷ off/off'), 'ours'] == pytest.approx(4.0 / 1.0)
    assert cells.loc[('SSR on, CSR on', 'Memory'), 'ours'] == 8.0  # Table 11: explicit attention's peak
    frame, _ = wide_table(exp, cells.reset_index())
    row = frame[frame['Variant'] == 'SSR on, CSR on'].iloc[0]
    assert row['Latency ours'] == '1762' and row['Latency paper'] == ''  # another device: not beside the paper's
    assert 'Latency Δ' not in frame and row['Latency ÷ off/off paper'] == '0.48'
    assert row['GFLOPs paper'] == '95.3'  # a count, the same on every device
    records[1] = _profile(5000.0, 3000.0, 1.0, device='cuda')
    cells = experiment_cells(exp, _records(records)).set_index(['variant', 'column'])
    assert 'another device' in cells.loc[('SSR off, CSR on', 'Latency ÷ off/off'), 'note']


def test_table4_ratios_to_baselines_measured_in_the_same_run():
    exp = EXPERIMENTS['table4']
    i = next(i for i, v in enumerate(exp.variants) if v.measured)
    baselines = dict(san=_profile(300.0, 0.0, 1.0), cost_aggregation=_profile(4000.0, 0.0, 1.0))
    cells = experiment_cells(exp, _records({i: _profile(1200.0, 400.0, 2.0, baselines=baselines)}))
    cells = cells.set_index(['variant', 'column'])
    assert cells.loc[('ERR-Seg', 'A-847 Latency ÷ SAN'), 'ours'] == pytest.approx(4.0)
    assert cells.loc[('ERR-Seg', 'A-847 Latency ÷ SAN'), 'paper'] == 3.35  # 114 / 34 ms on the paper's GPU
    assert cells.loc[('ERR-Seg', 'A-150 Latency ÷ cost agg.'), 'ours'] == pytest.approx(0.3)
    assert np.isnan(cells.loc[('ERR-Seg', 'A-150 Latency ÷ cost agg.'), 'paper'])  # the paper has none
    frame, _ = wide_table(exp, cells.reset_index())
    by = frame.set_index('Method')
    assert by.loc['ERR-Seg', 'A-847 Latency ours'] == '1200' and by.loc['ERR-Seg', 'A-847 Latency paper'] == ''
    assert by.loc['SAN', 'A-847 Latency paper'] == '34'  # other methods: the paper's figures, labelled
    cells = experiment_cells(exp, _records({i: _profile(1200.0, 400.0, 2.0)}))
    note = cells[cells['column'] == 'A-847 Latency ÷ SAN']['note'].iloc[-1]
    assert 'no san baseline measured in the same run' in note


def test_fig1_puts_ours_in_a_panel_of_its_own(tmp_path):
    from mmseg_errseg.views.plots import plot_experiment
    exp = EXPERIMENTS['fig1']
    i = next(i for i, v in enumerate(exp.variants) if v.measured)
    record = dict(_profile(1500.0, 400.0, 2.0), metrics=dict(mIoU=12.0))
    fig = plot_experiment(exp, experiment_cells(exp, _records({i: record})), smoke=False)
    paper, ours = fig.axes[:2]
    assert 'paper' in paper.get_title() and 'RTX 3090' in paper.get_title()
    assert 'ours' in ours.get_title() and 'cpu' in ours.get_title()
    assert not paper.texts and not ours.texts  # a legend names the points: no labels to overlap
    assert len(ours.collections[0].get_offsets()) == 1 and len(paper.collections[0].get_offsets()) == 7
