"""Tables and plots are views over records: values, reasons for missing cells, the paper's column, files."""
import json

import numpy as np
import pytest

from mmseg_errseg.analysis.plots import write_plot
from mmseg_errseg.analysis.tables import experiment_cells, wide_table, write_experiment
from mmseg_errseg.datasets import get_benchmark
from mmseg_errseg.harness import EXPERIMENTS
from mmseg_errseg.harness.planner import PlanOptions, make_plan
from mmseg_errseg.harness.record_store import RecordStore
from mmseg_errseg.harness.results import why_missing
from mmseg_errseg.harness.scales import SMOKE

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


def _cells(recorded, key):
    plan, store, _ = recorded
    return experiment_cells(EXPERIMENTS[key], plan, store, why_missing(plan, None)).set_index(['variant', 'column'])


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
    frame, notes = wide_table(exp, experiment_cells(exp, plan, store, why_missing(plan, None)))
    assert list(frame.columns[:5]) == ['#', 'A-847 P', 'A-847 ours', 'A-847 paper', 'A-847 Δ']
    row = frame[frame['#'] == '2'].iloc[0]  # P = 48 on A-847 is the official evaluation
    assert (row['A-847 P'], row['A-847 ours'], row['A-847 paper'], row['A-847 Δ']) == ('48', '27.5', '13.9', '+13.6')
    assert frame[frame['#'] == '1'].iloc[0]['A-847 ours'] == 'n/a [1]'
    assert notes == ['[1] no record: not run yet (run the same command again)']


def test_files_are_labelled_smoke(recorded, tmp_path):
    plan, store, _ = recorded
    exp = EXPERIMENTS['table9']
    cells = experiment_cells(exp, plan, store, why_missing(plan, None))
    files = write_experiment(exp, cells, tmp_path, smoke=True, provenance='made by a test')
    assert sorted(p.name for p in files) == ['table9_smoke.csv', 'table9_smoke.md', 'table9_smoke.tex',
                                             'table9_smoke_cells.csv']
    md = (tmp_path / 'table9_smoke.md').read_text()
    assert 'Table 9 [SMOKE]' in md and 'NOT results' in md and 'made by a test' in md
    tex = (tmp_path / 'table9_smoke.tex').read_text()
    assert '\\begin{tabular}' in tex and '\\#Classes' in tex and 'Table 9 [SMOKE]' in tex
    png = write_plot(EXPERIMENTS['table8'], experiment_cells(EXPERIMENTS['table8'], plan, store,
                                                             why_missing(plan, None)), tmp_path, smoke=True)
    assert png.name == 'table8_smoke.png' and png.read_bytes()[:4] == b'\x89PNG'
