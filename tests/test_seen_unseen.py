"""Seen/unseen mIoU (Table 5): the split format, the registered metric, records -> table, the CLI."""
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import torch

from mmseg_errseg.analysis.seen_unseen import load_eval_records, load_splits, model_label, record_seen_unseen
from mmseg_errseg.cli import main
from mmseg_errseg.cli.seen_unseen import table5_view
from mmseg_errseg.evaluation import SeenUnseenIoUMetric, SeenUnseenSplit, seen_unseen_miou
from mmseg_errseg.views import experiment_cells, render_markdown, wide_table

CLASSES = ['wall', 'building, edifice', 'sky', 'bed ', 'tree']


def make_split(dataset='ade847', seen=('wall', 'sky'), unseen=('building, edifice', 'bed ', 'tree')):
    return SeenUnseenSplit(dataset, 'coco_stuff171', 'fake-encoder', 0.95, seen, unseen)


def make_record(dataset='ade847', iou=(50.0, 10.0, None, 80.0, 0.0), classes=CLASSES, **extra):
    return {'kind': 'eval', 'dataset': dataset, 'classes': list(classes), 'metrics': {'mIoU': 35.0},
            'per_class': {'IoU': list(iou)}, 'num_selected': 48, 'config_hash': 'abc', **extra}


def test_seen_unseen_miou_hand_checked():
    # seen: wall 50, sky never occurs -> 50; unseen: building 10, bed 80, tree 0 -> 30
    res = seen_unseen_miou(CLASSES, [50.0, 10.0, None, 80.0, 0.0], make_split())
    assert res == dict(seen=50.0, num_seen=2, num_seen_valid=1, unseen=30.0, num_unseen=3, num_unseen_valid=3)
    res = seen_unseen_miou(CLASSES, [np.nan, 10.0, np.nan, 80.0, 0.0], make_split())
    assert math.isnan(res['seen']) and res['num_seen_valid'] == 0


def test_names_match_after_stripping_spaces():
    split = make_split(unseen=('building, edifice', 'bed', 'tree'))  # 'bed' vs the list's 'bed '
    seen, unseen = split.masks(CLASSES)
    assert list(seen) == [True, False, True, False, False] and list(unseen) == list(~seen)


@pytest.mark.parametrize('classes, message', [
    ([], 'empty class list'),
    (CLASSES[:4], r"names of the split are not in the class list \('tree'\)"),
    (CLASSES + ['lamp'], r"1 classes are in neither \"seen\" nor \"unseen\" \('lamp'\)"),
])
def test_class_list_mismatch_is_a_clear_error(classes, message):
    with pytest.raises(ValueError, match=message):
        seen_unseen_miou(classes, [1.0] * len(classes), make_split())


@pytest.mark.parametrize('data, message', [
    ({'dataset': 'x'}, 'missing keys'),
    (dict(dataset='x', train='t', encoder='e', threshold=0.9, seen=[], unseen=[]), 'has no classes'),
    (dict(dataset='x', train='t', encoder='e', threshold=0.9, seen=['a'], unseen=['a']), 'more than once'),
    (dict(dataset='x', train='t', encoder='e', threshold='high', seen=['a'], unseen=[]), 'must be a number'),
    (dict(dataset='x', train='t', encoder='e', threshold=0.9, seen='a', unseen=[]), 'list of class names'),
])
def test_bad_split_is_a_clear_error(data, message):
    with pytest.raises(ValueError, match=message):
        SeenUnseenSplit.from_dict(data)


def test_split_file_round_trip_and_missing_file(tmp_path):
    path = tmp_path / 'split_ade847.json'
    path.write_text(json.dumps(make_split().to_dict()))
    assert SeenUnseenSplit.load(str(path)) == make_split()
    with pytest.raises(FileNotFoundError, match='errseg similarity'):
        SeenUnseenSplit.load(str(tmp_path / 'nope.json'))


def _sample(pred, gt):
    return {'pred_sem_seg': {'data': torch.tensor([pred])}, 'gt_sem_seg': {'data': torch.tensor([gt])}}


def test_registered_metric_on_hand_checked_maps(tmp_path):
    from mmseg.registry import METRICS
    split = SeenUnseenSplit('toy', 'coco_stuff171', 'e', 0.95, ['a', 'c'], ['b', 'd'])
    path = tmp_path / 'split_toy.json'
    path.write_text(json.dumps(split.to_dict()))
    metric = METRICS.build(dict(type='SeenUnseenIoUMetric', split=str(path)))
    assert isinstance(metric, SeenUnseenIoUMetric)
    metric.dataset_meta = {'classes': ['a', 'b', 'c', 'd']}
    # IoU: a 1/3, b 2/3, c 2/3, d never occurs (its only prediction is on an ignored pixel)
    metric.process({}, [_sample([[0, 1, 1, 1], [2, 2, 0, 3]], [[0, 0, 1, 1], [2, 2, 2, 255]])])
    res = metric.evaluate(1)
    assert res['mIoU'] == pytest.approx(55.56)
    assert res['mIoU_seen'] == pytest.approx(50.0)  # (1/3 + 2/3) / 2
    assert res['mIoU_unseen'] == pytest.approx(66.67)  # b only
    metric.dataset_meta = {'classes': ['a', 'b', 'c', 'e']}
    metric.process({}, [_sample([[0]], [[0]])])
    with pytest.raises(ValueError, match=r"\('d'\)"):
        metric.evaluate(1)


def test_table5_cells_say_why_they_are_missing():
    records = [make_record(checkpoint='work_dirs/errseg_b.pth', created='2026-01-01T00:00:00'),
               make_record(iou=(0.0,) * 5, checkpoint='work_dirs/errseg_b.pth', created='2025-01-01T00:00:00'),
               make_record(dataset='ade150', checkpoint='work_dirs/errseg_b.pth')]
    exp, lookup = table5_view(records, {'ade847': make_split()}, ('ade847', 'pc459', 'ade150'))
    frame = experiment_cells(exp, lookup)
    ours = frame[frame['variant'] == 'errseg_b'].set_index('column')
    assert ours.loc['A-847 Seen', 'ours'] == 50.0  # the newest record
    assert ours.loc['A-847 Unseen', 'ours'] == 30.0
    assert ours.loc['A-150 Seen', 'note'] == 'no split file' and math.isnan(ours.loc['A-150 Seen', 'ours'])
    assert ours.loc['PC-459 Unseen', 'note'] == 'no eval record and no split file'
    paper = frame[frame['variant'] == 'ERR-Seg (paper)'].set_index('column')['paper']
    assert paper['A-847 Seen'] == 30.1 and paper['A-150 Unseen'] == 29.4
    wide, notes = wide_table(exp, frame)
    md = re.sub(' +', ' ', render_markdown(exp, wide, notes, smoke=False))
    assert '| errseg_b | 50.0 | | | 30.0 | | | n/a [1] |' in md and '[1] no eval record and no split file' in md
    assert 'no split file' in md and '| CAT-Seg (paper) | n/a [' in md and '| 29.2 |' in md


def test_rows_are_named_after_the_model():
    eval_cfg = 'configs/errseg/errseg_convnext-b_eval-ade847-640x640.py'
    assert model_label(dict(config=eval_cfg, checkpoint='work_dirs/x/iter_6.pth')) == 'errseg_convnext-b'
    assert model_label(dict(config=eval_cfg.replace('ade847', 'ade150'))) == 'errseg_convnext-b'  # one row
    assert model_label(dict(checkpoint='work_dirs/my_run/iter_6.pth')) == 'my_run'
    assert model_label(dict(checkpoint='work_dirs/errseg_b.pth')) == 'errseg_b'


def test_record_errors():
    with pytest.raises(ValueError, match='is for .ade150. but the split is for .ade847.'):
        record_seen_unseen(make_record(dataset='ade150'), make_split())
    with pytest.raises(ValueError, match='class list is empty'):
        record_seen_unseen(make_record(classes=[], iou=[]), make_split())
    with pytest.raises(ValueError, match='one value .or null. per class: 5 classes, got 2'):
        record_seen_unseen(make_record(iou=(1.0, 2.0)), make_split())


def test_cli_seen_unseen(tmp_path, capsys):
    runs, splits = tmp_path / 'runs', tmp_path / 'sim'
    (runs / 'a').mkdir(parents=True)
    splits.mkdir()
    (runs / 'a' / 'ade847.json').write_text(json.dumps(make_record(config='configs/errseg_b.py')))
    (runs / 'notes.json').write_text(json.dumps({'kind': 'profile'}))  # skipped in folders
    (splits / 'split_ade847.json').write_text(json.dumps(make_split().to_dict()))
    (splits / 'table2.json').write_text('{}')  # not a split file: skipped in folders
    out = tmp_path / 'out'
    assert main(['seen-unseen', '--records', str(runs), '--splits', str(splits), '--out', str(out)]) == 0
    assert '| errseg_b | 50.0 | | | 30.0 |' in re.sub(' +', ' ', capsys.readouterr().out)
    csv = pd.read_csv(out / 'table5.csv')
    assert list(csv['Method']) == ['errseg_b', 'CAT-Seg (paper)', 'ERR-Seg (paper)']
    assert (out / 'table5.md').read_text().startswith('### Table 5')
    # nothing to compute from: exit != 0 naming what is missing, nothing written
    empty = tmp_path / 'empty'
    empty.mkdir()
    for argv, missing in (([str(empty)], [str(splits)]), ([str(runs)], [str(empty)])):
        assert main(['seen-unseen', '--records', *argv, '--splits', *missing, '--out', str(tmp_path / 'x')]) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and str(empty) in err
        assert ('no evaluation record' if argv == [str(empty)] else 'no split file') in err
    assert not (tmp_path / 'x').exists()
    assert main(['seen-unseen', '--records', str(runs / 'notes.json'), '--splits', str(splits)]) == 1
    assert 'not an evaluation record' in capsys.readouterr().err
    assert main(['seen-unseen', '--records', str(tmp_path / 'none'), '--splits', str(splits)]) == 1
    assert 'no such file or folder' in capsys.readouterr().err


def test_load_helpers(tmp_path):
    (tmp_path / 'split_ade847.json').write_text(json.dumps(make_split().to_dict()))
    (tmp_path / 'split_again.json').write_text(json.dumps(make_split().to_dict()))
    with pytest.raises(ValueError, match="two splits for 'ade847'"):
        load_splits([tmp_path])
    bad = tmp_path / 'bad.json'
    bad.write_text('{')
    with pytest.raises(ValueError, match='not valid JSON'):
        load_eval_records([bad])
