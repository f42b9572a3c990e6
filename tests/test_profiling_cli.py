"""``errseg profile``: settings, errors, records, SAN offline; Tables 4 and 11 as the harness's views of records."""
import json
import re

import pandas as pd
import pytest

from mmseg_errseg.cli import main
from mmseg_errseg.harness import EXPERIMENTS, FULL, PlanOptions, RecordStore, make_plan
from mmseg_errseg.profiling import (COST_AGG, ERRSEG, SAN, build_san, check_input_size, count_flops,
                                    load_model_config, san_target, save_record, setting_specs)
from mmseg_errseg.profiling.targets import vocabulary_of_size
from mmseg_errseg.views import write_results

from conftest import CONFIGS

TINY = str(CONFIGS / '_base_' / 'models' / 'errseg_tiny.py')
B = str(CONFIGS / '_base_' / 'models' / 'errseg_convnext-b.py')


@pytest.mark.parametrize('size,message', [
    ((0, 64), 'positive multiples of 32'), ((65, 64), '--input 65 64'), ((-32, 32), 'positive'),
    (('a', 32), 'two integers')])
def test_check_input_size_errors(size, message):
    with pytest.raises(ValueError, match=message):
        check_input_size(size)


def test_check_input_size_ok():
    assert check_input_size(['640', 480]) == (640, 480)


def test_load_model_config_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='no such file'):
        load_model_config(str(tmp_path / 'missing.py'))
    broken = tmp_path / 'broken.py'
    broken.write_text('model = dict(type="ERRSeg"\n')
    with pytest.raises(ValueError, match='cannot be read'):
        load_model_config(str(broken))
    nomodel = tmp_path / 'nomodel.py'
    nomodel.write_text('x = 1\n')
    with pytest.raises(ValueError, match='no `model` dict'):
        load_model_config(str(nomodel))


def test_vocabulary_of_size_prefers_the_benchmark_lists():
    assert vocabulary_of_size(150)[0] == 'ade150'
    assert vocabulary_of_size(847)[0] == 'ade847'
    source, names = vocabulary_of_size(7)
    assert source == 'synthetic' and len(names) == 7
    with pytest.raises(ValueError, match='--num-classes must be >= 1'):
        vocabulary_of_size(0)


def test_setting_specs_defaults_and_baselines():
    specs = setting_specs(B, benchmark='A-847', baselines=True)
    assert [s.method for s in specs] == [ERRSEG, SAN, COST_AGG]
    assert all(len(s.vocabulary.names) == 847 and s.input_size == (640, 640) for s in specs)
    assert specs[0].num_selected == 48  # the benchmark's official P
    assert specs[2].overrides['decode_head'] == dict(class_removal=False, sr_ratio=1, class_pool=1,
                                                     mlp_type='vanilla')
    tiny = setting_specs(TINY)
    assert tiny[0].num_selected == 4 and tiny[0].input_size == (64, 64)
    assert tiny[0].vocabulary.source == 'coco_stuff171'
    with pytest.raises(ValueError, match='at most one'):
        setting_specs(TINY, num_classes=5, benchmark='A-150')


def _efficiency_plan():
    plan = make_plan([EXPERIMENTS['table4'], EXPERIMENTS['table11']], PlanOptions(FULL, data_root=None))
    return plan, {k: r for k, r in plan.runs.items() if r.kind == 'profile'}


def test_the_paper_tables_declare_their_profile_runs():
    """Table 4: ERR-Seg-B at A-847 and A-150 with its baselines in the same run; Table 11: SSR x CSR at A-150."""
    _, runs = _efficiency_plan()
    t4 = [r.context for r in runs.values() if r.context['baselines']]
    assert sorted((c['benchmark'], c['num_selected'], c['baselines']) for c in t4) == [
        ('ade150', 32, ('san', 'cost_aggregation')), ('ade847', 48, ('san',))]  # as Table 4's columns need
    assert all(c['overrides'] == {} and c['input_size'] == (640, 640) for c in t4)
    t11 = [r.context for r in runs.values() if 'Table 11' in r.uses]
    assert {c['benchmark'] for c in t11} == {'ade150'} and len(t11) == 4 and len(runs) == 5  # one shared
    official = dict(sr_ratio=2, class_pool=2)  # the shared run is the official configuration
    assert {tuple(c['overrides'].get(f'decode_head.{k}', v) for k, v in official.items())
            for c in t11} == {(1, 1), (1, 2), (2, 1), (2, 2)}


def _run(capsys, *argv):
    code = main(['profile', *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_record(capsys, tmp_path):
    code, out, err = _run(capsys, TINY, '--num-classes', '20', '--num-selected', '3', '--runs', '1',
                          '--warmup', '0', '--no-ptflops', '--json', '--out-dir', str(tmp_path))
    assert code == 0, err
    rec = json.loads(out)  # stdout is JSON only; progress goes to stderr
    assert rec['settings']['num_classes'] == 20 and rec['settings']['vocabulary'] == 'voc20'
    assert rec['settings']['kept_classes'] == 3 and rec['settings']['input'] == [64, 64]
    from conftest import build_model
    from mmseg_errseg.profiling import errseg_target
    from mmseg_errseg.profiling.flops import count_paper_and_executed
    target = errseg_target(build_model().eval(), vocabulary_of_size(20)[1], 3, (64, 64))
    paper, _ = count_paper_and_executed(target.forward, (target.example_input(),), target.model)
    assert 'ptflops' not in rec and rec['flops']['total'] == paper.total  # the paper convention's count
    saved, = tmp_path.glob('*.json')
    assert json.loads(saved.read_text())['flops'] == rec['flops']
    assert not list(tmp_path.glob('.*.tmp'))


def test_cli_text_report(capsys):
    code, out, err = _run(capsys, TINY, '--input', '96', '96', '--runs', '1', '--warmup', '0')
    assert code == 0, err
    assert 'input 96x96' in out and 'attention counted' in out and 'ptflops cross-check' in out
    assert 'uncounted' in out and 'RRCA spatial' in out and 'peak memory' in out


@pytest.mark.parametrize('argv,message', [
    (['--input', '65', '64'], '--input 65 64 is not a valid input size'),
    (['--input', '0', '64'], 'positive multiples of 32'),
    (['--num-selected', '0'], '--num-selected must be >= 1'),
    (['--num-classes', '5', '--num-selected', '9'], 'larger than the vocabulary'),
    (['--runs', '0'], '--runs must be >= 1'),
    (['--component-runs', '0'], '--component-runs must be >= 1'),
])
def test_cli_bad_input_one_clear_error(capsys, argv, message):
    code, out, err = _run(capsys, TINY, *argv)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith('errseg profile: error:')]
    assert len(lines) == 1 and message in lines[0], err


def test_cli_broken_config_one_clear_error(capsys, tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text(f"_base_ = [{TINY!r}]\nmodel = dict(decode_head=dict(mlp_type='fancy'))\n")
    code, _, err = _run(capsys, str(bad))
    assert code == 1 and 'cannot be built' in err and "mlp_type must be one of" in err
    unknown = tmp_path / 'unknown.py'
    unknown.write_text("model = dict(type='NoSuchSegmentor')\n")
    code, _, err = _run(capsys, str(unknown), '--input', '64', '64')
    assert code == 1 and 'cannot be built' in err and 'NoSuchSegmentor' in err
    code, _, err = _run(capsys, str(tmp_path / 'missing.py'))
    assert code == 1 and 'no such file' in err


def test_cli_cuda_unavailable(capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip('CUDA is available here')
    code, _, err = _run(capsys, TINY, '--device', 'cuda')
    assert code == 1 and 'CUDA is not available' in err


def test_san_builds_offline_from_mmseg_config():
    names = ['cat', 'dog', 'sky']
    model = build_san(names)
    target = san_target(model, names, (64, 64))
    count = count_flops(target.forward, (target.example_input(),), target.components, target.PREFIX)
    assert count.by_component['CLIP visual'] > 0 and count.by_component['side adapter'] > 0
    assert count.added > 0  # its masked attention (baddbmm) would be missed by plain fvcore
    out = target.forward(target.example_input())
    assert out.shape == (1, 3, 64, 64)


def _record(method, benchmark, total, visual, spatial=0.0, classes=0.0, sr=2, pool=2, t=150, p=32):
    return dict(kind='profile', name=method,
                settings=dict(method=method, benchmark=benchmark, num_classes=t, kept_classes=p,
                              sr_ratio=[sr] * 4, class_pool=[pool] * 4),
                flops=dict(total=total * 1e9, by_component={'CLIP visual': visual * 1e9,
                                                            'RRCA spatial': spatial * 1e9,
                                                            'RRCA class': classes * 1e9}),
                params=dict(total=1e8), memory=dict(delta=2 ** 30, kind='cpu_peak_rss'),
                latency=dict(median_ms=1000.0, runs=3), component_latency_ms={'RRCA spatial': 300.0,
                                                                              'RRCA class': 100.0},
                environment=dict(device='cpu'))


def test_tables_4_and_11_are_views_over_profile_records(tmp_path):
    """What `errseg reproduce --tables 4,11` writes from the records: ours beside the paper's, ratios of one run."""
    plan, runs = _efficiency_plan()
    store = RecordStore(tmp_path / 'work')
    for key, run in runs.items():
        ctx = run.context
        sr, pool = (ctx['overrides'].get(f'decode_head.{k}', 2) for k in ('sr_ratio', 'class_pool'))
        rec = _record(ERRSEG, ctx['benchmark'], 346.3 if ctx['benchmark'] == 'ade847' else 288.3, 171.0,
                      spatial=sr * 10.0, classes=pool * 1.0, sr=sr, pool=pool)
        rec['component_latency_ms'] = {'RRCA spatial': 300.0 * sr, 'RRCA class': 100.0 * pool}
        if ctx['baselines']:
            rec['baselines'] = dict(san=_record(SAN, 'x', 120.5, 80.0),
                                    cost_aggregation=_record(COST_AGG, 'x', 2e3, 171))
            rec['baselines']['san']['latency']['median_ms'] = 250.0
        store.write(run, rec, 1.0)
    files = write_results(plan, store, None, tmp_path / 'results', dict(command='errseg reproduce --tables 4,11'),
                          echo=lambda *_: None)
    assert {'table4.csv', 'table4.md', 'table4.tex', 'table11.csv', 'table11.png'} <= {p.name for p in files}
    t4 = pd.read_csv(tmp_path / 'results' / 'table4.csv', dtype=str).set_index('Method')
    assert t4.loc['ERR-Seg', 'A-847 GFLOPs ours'] == '346' and t4.loc['ERR-Seg', 'A-847 GFLOPs paper'] == '348'
    assert t4.loc['ERR-Seg', 'A-847 GFLOPs Δ'] == '-2'
    ours = t4.loc['ERR-Seg']
    assert ours['A-150 Latency ÷ SAN ours'] == '4.00' and ours['A-150 Latency ÷ SAN paper'] == '2.66'
    assert t4.loc['ERR-Seg', 'A-150 Latency ÷ cost agg. ours'] == '1.00'
    assert 'A-847 Latency ÷ cost agg. ours' not in t4  # the cost-aggregation baseline: at A-150 only
    t11 = pd.read_csv(tmp_path / 'results' / 'table11.csv', dtype=str).set_index('Variant')
    # the aggregator only: RRCA spatial + class blocks
    assert [t11.loc[f'SSR {a}, CSR {b}', 'GFLOPs ours'] for a in ('off', 'on') for b in ('off', 'on')] == \
        ['11.0', '12.0', '21.0', '22.0']
    assert t11.loc['SSR off, CSR off', 'GFLOPs paper'] == '188.1'
    assert t11.loc['SSR on, CSR on', 'Latency ÷ off/off ours'] == f'{800 / 400:.2f}'
    assert t11.loc['SSR on, CSR on', 'Latency ÷ off/off paper'] == '0.48'
    assert not re.search(r'\bnan\b', (tmp_path / 'results' / 'table11.md').read_text())


def test_save_record(tmp_path):
    rec = _record(ERRSEG, 'A-150', 1.0, 0.5)
    path = save_record(rec, tmp_path)
    assert path.name == 'ERR-Seg_A-150_cpu.json'
    assert json.loads(path.read_text()) == rec


def test_default_p_is_clamped_to_a_small_vocabulary_but_an_explicit_one_is_checked():
    assert setting_specs(TINY, num_classes=3)[0].num_selected == 3
    assert setting_specs(TINY, num_classes=3, num_selected=2)[0].num_selected == 2


def test_an_efficiency_run_measures_its_baselines_in_the_same_run():
    """The harness's profile run of the official configuration records SAN and the cost-aggregation baseline."""
    from mmseg_errseg.harness.profile_run import run_profile
    from mmseg_errseg.harness.runs import Run
    from mmseg_errseg.views import profile_metrics
    run = Run('profile', dict(runs=1, warmup=0), 'tiny', 'tiny', context=dict(
        config=TINY, overrides={}, benchmark='voc20', num_selected=16, input_size=(64, 64), baselines=('san', 'cost_aggregation')))
    record = run_profile(run)
    san, cost = record['baselines']['san'], record['baselines']['cost_aggregation']
    assert record['name'] == ERRSEG and san['name'] == SAN and cost['name'] == COST_AGG
    assert san['settings']['benchmark'] == cost['settings']['benchmark'] == record['settings']['benchmark'] == 'PAS-20'
    assert cost['settings']['overrides']['decode_head']['class_removal'] is False
    assert profile_metrics(cost)['gflops'] > profile_metrics(record)['gflops']  # every reduction off costs more
    assert all(profile_metrics(r)['latency_ms'] > 0 for r in (record, san, cost))
