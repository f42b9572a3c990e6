"""The planner: shared runs, stable keys, what cannot run and how to enable it; the record store."""
import json
import sys

import pytest

from mmseg_errseg.datasets import make_dataset
from mmseg_errseg.harness import EXPERIMENTS
from mmseg_errseg.harness.report import format_plan
from mmseg_errseg.harness.planner import PlanOptions, make_plan
from mmseg_errseg.harness.record_store import RecordStore
from mmseg_errseg.harness.runs import Run
from mmseg_errseg.harness.scales import FULL, SMOKE

ALL = list(EXPERIMENTS.values())


@pytest.fixture(scope='module')
def smoke_plan():
    return make_plan(ALL, PlanOptions(SMOKE, data_root='unused'))


def _cell_runs(plan, exp_key, label, column):
    exp = EXPERIMENTS[exp_key]
    i = next(i for i, v in enumerate(exp.variants) if v.label == label)
    col = next(c for c in exp.columns if c.name == column)
    return plan.cell(exp, i, col).runs


def test_identical_configurations_are_one_run(smoke_plan):
    plan = smoke_plan
    trains = [r for r in plan.runs.values() if r.kind == 'train']
    assert len(trains) == 22  # 24 trained variants; in smoke the tiny model stands in for B and L
    official = _cell_runs(plan, 'table6', 'w/ remove', 'A-847')[0]
    # the official row of many tables, lambda = 0.1 (Fig. 6), P = 32 (Fig. 7) and k = 3 (Table 7) are one evaluation
    for exp, label in (('table6', 'Hierarchical'), ('table12', 'Modified'), ('fig6', 'λ = 0.1'),
                       ('fig7', 'P (training) = 32'), ('table7', 'k = 3'), ('table10', 'spatial + class'),
                       ('table3', 'ERR-Seg (ours)')):
        assert _cell_runs(plan, exp, label, 'A-847') == (official,), (exp, label)
    assert _cell_runs(plan, 'table8', 'A-847 P=48', 'A-847') == (official,)  # the official test-time P
    train = plan.runs[official].deps[0]
    assert {'Table 3', 'Table 6', 'Table 12', 'Figure 6', 'Figure 7'} <= set(plan.runs[train].uses)
    # inference-only variants evaluate the official training; others train their own model
    assert plan.runs[_cell_runs(plan, 'table7', 'k = 1', 'A-847')[0]].deps == (train,)
    assert plan.runs[_cell_runs(plan, 'table12', 'Vanilla', 'A-847')[0]].deps != (train,)
    # Table 5 needs the official evaluation and the similarity analysis
    eval_key, sim_key = _cell_runs(plan, 'table5', 'ERR-Seg', 'A-847 Seen')
    assert eval_key == official and plan.runs[sim_key].kind == 'analysis'
    assert not any(r.blocked for r in plan.runs.values() if r.kind != 'profile')


def test_keys_are_stable_and_follow_the_config(smoke_plan):
    again = make_plan(ALL, PlanOptions(SMOKE, data_root='elsewhere'))  # the data root is machine-local
    assert set(again.runs) == set(smoke_plan.runs)
    changed = make_plan([EXPERIMENTS['table12']], PlanOptions(SMOKE, cfg_options={'train_cfg.max_iters': 7}))
    assert not set(changed.runs) & set(smoke_plan.runs)
    crops = {plan_run.context['crop_size'] for plan_run in smoke_plan.runs.values()
             if plan_run.kind == 'eval' and 'ConvNeXt' not in plan_run.label}
    assert crops == {64, 96, 128, 160, 192}  # 384/512/640/768/1024 at smoke scale (/ 5, multiples of 32)


def test_efficiency_runs_need_the_flop_counter(monkeypatch):
    from mmseg_errseg.harness.profile_run import profiler_missing
    assert profiler_missing() is None  # fvcore is in the dev install
    monkeypatch.setitem(sys.modules, 'fvcore', None)  # as if the `profile` extra were not installed
    assert "pip install 'mmseg-errseg[profile]'" in profiler_missing()


def test_full_scale_without_anything_says_what_would_enable_each_run():
    plan = make_plan(ALL, PlanOptions(FULL, data_root=None, profiler_missing='needs the profiler'))
    trains = [r for r in plan.runs.values() if r.kind == 'train']
    assert all('needs CUDA GPUs (use --smoke for toy scale)' in r.blocked for r in trains)
    assert all('errseg prepare coco_stuff171 --src RAW --dst DATA_ROOT' in r.blocked for r in trains)
    official = plan.runs[_cell_runs(plan, 'table6', 'w/ remove', 'A-847')[0]]
    assert 'needs --checkpoint b=CKPT' in official.blocked
    assert 'needs --data-root with prepared ade847: errseg prepare ade847' in official.blocked
    sim = plan.runs[_cell_runs(plan, 'table2', 'A-847', '1.00')[0]]
    assert sim.blocked is None  # offline: runs anywhere
    text = format_plan(plan, RecordStore('/nonexistent'))
    assert 'needs --checkpoint l=CKPT' in text and 'needs the profiler' in text
    assert 'Table 13 "ViT-B/16": a plain-CLIP (ViT-B/16) ERR-Seg is not implemented' in text


def test_a_checkpoint_and_a_prepared_benchmark_enable_inference_only_variants(tmp_path):
    ckpt = tmp_path / 'errseg_b.pth'
    ckpt.write_bytes(b'weights')
    make_dataset('voc20', str(tmp_path / 'data'), num_images=1)
    exps = [EXPERIMENTS[k] for k in ('table7', 'table8', 'table12', 'table14')]
    plan = make_plan(exps, PlanOptions(FULL, data_root=str(tmp_path / 'data'), checkpoints={'b': str(ckpt)},
                                       datasets=['voc20']))
    ok = [r for r in plan.runs.values() if not r.blocked]
    assert ok and all(r.kind == 'eval' and r.context['dataset'] == 'voc20' and not r.deps for r in ok)
    assert {r.context['num_selected'] for r in ok} >= {4, 8, 12, 16}  # Table 8's PAS-20 column
    assert {r.context['crop_size'] for r in ok} == {512, 640, 768, 1024}  # Table 14, ERR-Seg-B
    vanilla = plan.runs[_cell_runs(plan, 'table12', 'Vanilla', 'PAS-20')[0]]
    assert 'needs CUDA GPUs' in vanilla.blocked and 'checkpoint' not in vanilla.blocked  # it must be trained
    t14 = EXPERIMENTS['table14']
    large = next(i for i, v in enumerate(t14.variants) if v.model == 'l')
    assert 'needs --checkpoint l=CKPT' in plan.runs[plan.cell(t14, large, t14.columns[-1]).runs[0]].blocked
    skipped = plan.cell(EXPERIMENTS['table7'], 0, EXPERIMENTS['table7'].columns[0])
    assert skipped.runs == () and 'not requested (--datasets voc20)' in skipped.reason
    ckpt.write_bytes(b'other weights')  # other weights: other records
    again = make_plan(exps, PlanOptions(FULL, data_root=str(tmp_path / 'data'), checkpoints={'b': str(ckpt)},
                                        datasets=['voc20']))
    assert not {r.key for r in ok} & set(again.runs)


def test_record_store_writes_atomically_and_finds_records_by_key(tmp_path):
    store = RecordStore(tmp_path)
    run = Run('eval', dict(a=1), 'a label', 'slug')
    path = store.write(run, dict(metrics=dict(mIoU=1.5)), 2.0, dict(command='errseg reproduce'))
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    (path.parent / 'broken.json').write_text('{"run": ')  # not a record: ignored with a warning
    with pytest.warns(UserWarning, match='broken.json'):
        again = RecordStore(tmp_path)
    assert run.key in again and again.get(run.key)['result']['metrics']['mIoU'] == 1.5
    assert json.loads(path.read_text())['run']['label'] == 'a label'
    with pytest.raises(ValueError):
        store.write(Run('eval', dict(a=2), 'nan', 'nan'), dict(x=float('nan')), 1.0)  # refused, nothing written
    assert len(list(path.parent.glob('*.json'))) == 2 and not list(path.parent.glob('.*'))


def test_efficiency_runs_profile_the_variant_at_full_size_without_data():
    """The full-size model of a variant (its switches, the benchmark's T and P, the paper's input size)."""
    plan = make_plan([EXPERIMENTS['table11'], EXPERIMENTS['table4']], PlanOptions(SMOKE, data_root='unused'))
    profiles = {r.key: r for r in plan.runs.values() if r.kind == 'profile'}
    assert len(profiles) == 5  # Table 4: A-847, A-150 (= Table 11's SSR+CSR row); Table 11: three more
    for run in profiles.values():
        assert run.context['config'].endswith('errseg_convnext-b.py') and run.context['input_size'] == (640, 640)
        assert run.spec['runs'] == SMOKE.profile_runs and not run.deps
    off = plan.runs[_cell_runs(plan, 'table11', 'SSR off, CSR off', 'GFLOPs')[0]]
    assert off.context['overrides'] == {'decode_head.sr_ratio': 1, 'decode_head.class_pool': 1}
    assert (off.context['benchmark'], off.context['num_selected']) == ('ade150', 32)
    a847 = plan.runs[_cell_runs(plan, 'table4', 'ERR-Seg', 'A-847 GFLOPs')[0]]
    assert (a847.context['benchmark'], a847.context['num_selected']) == ('ade847', 48)
    assert _cell_runs(plan, 'table4', 'ERR-Seg', 'A-150 Latency') == \
        _cell_runs(plan, 'table11', 'SSR on, CSR on', 'Latency')


def test_profile_run_measures_the_configuration_it_names(tmp_path):
    from mmseg_errseg.harness.profile_run import run_profile
    from mmseg_errseg.views import profile_metrics
    from conftest import CONFIGS
    run = Run('profile', dict(x=1), 'tiny', 'tiny', context=dict(
        config=str(CONFIGS / '_base_/models/errseg_tiny.py'), overrides={'decode_head.sr_ratio': 1},
        benchmark='voc20', num_selected=16, input_size=(64, 64)))
    run.spec.update(runs=1, warmup=0)
    record = run_profile(run)
    metrics = profile_metrics(record)
    assert record['settings']['benchmark'] == 'PAS-20' and metrics['gflops'] > 0
    assert record['settings']['overrides'] == {'decode_head': {'sr_ratio': 1}}
    assert metrics['aggregator_memory_gib'] > 0 and metrics['memory_gib'] > 0


def test_checkpoint_identity_is_the_sha256_of_its_whole_content(tmp_path):
    import hashlib
    from mmseg_errseg.harness.planner import file_sha256
    data = bytes(range(256)) * 9000  # over 2 MiB: several read blocks
    (tmp_path / 'ckpt.pth').write_bytes(data)
    assert file_sha256(str(tmp_path / 'ckpt.pth')) == hashlib.sha256(data).hexdigest()
