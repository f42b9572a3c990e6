"""``errseg profile``: settings, errors, records, the Table 4 / Table 11 views, SAN offline."""
import json

import pandas as pd
import pytest

from mmseg_errseg.cli import main
from mmseg_errseg.profiling import (PAPER_FIGURES, build_san, check_input_size, count_flops,
                                    load_model_config, load_records, san_target, save_record,
                                    setting_specs, table4, table11, table_specs, write_table)
from mmseg_errseg.profiling.builders import vocabulary_of_size
from mmseg_errseg.profiling.tables import COST_AGG, ERRSEG, SAN

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


def test_table_specs_declare_the_paper_tables():
    t4 = table_specs('4', B)
    expected = {(m, b) for m in (ERRSEG, SAN, COST_AGG) for b in ('A-847', 'A-150')}
    assert {(s.method, s.benchmark) for s in t4} == expected
    t11 = table_specs('11', B)
    assert len(t11) == 4 and {s.benchmark for s in t11} == {'A-150'}
    assert {(s.overrides['decode_head']['sr_ratio'], s.overrides['decode_head']['class_pool'])
            for s in t11} == {(1, 1), (1, 2), (2, 1), (2, 2)}


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
    assert load_records([tmp_path])[0]['flops'] == rec['flops']
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
    (['--table', '4', '--num-classes', '5'], 'drop --num-classes'),
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


def test_table4_view_puts_ours_beside_the_paper(tmp_path):
    records = [_record(ERRSEG, 'A-847', 346.3, 171.0, t=847, p=48), _record(SAN, 'A-847', 120.5, 80.0),
               _record(ERRSEG, 'A-150', 288.3, 171.0)]
    frame = table4(records)
    assert list(frame['method']) == [ERRSEG, SAN, ERRSEG]
    row = frame.iloc[0]
    assert row['GFLOPs (ours)'] == pytest.approx(346.3)
    assert row['GFLOPs (paper)'] == PAPER_FIGURES['4'][(ERRSEG, 'A-847')]['gflops']
    assert row['GFLOPs (official impl., fvcore)'] == 346.3
    assert row['visual GFLOPs (ours)'] == pytest.approx(171.0)
    assert pd.isna(frame.iloc[1]['GFLOPs (official impl., fvcore)'])
    csv, md = write_table(frame, tmp_path, 'table4', 'Table 4', ['a note'])
    assert pd.read_csv(csv).shape == frame.shape
    text = md.read_text()
    assert '## Table 4' in text and 'GFLOPs (paper)' in text and '- a note' in text


def test_table11_view_aggregator_only():
    records = [_record(f'v{sr}{pool}', 'A-150', 200.0, 171.0, spatial=sr * 10.0, classes=pool * 1.0,
                       sr=sr, pool=pool) for sr in (1, 2) for pool in (1, 2)]
    frame = table11(records)
    assert list(zip(frame['SSR'], frame['CSR'])) == [('no', 'no'), ('no', 'yes'), ('yes', 'no'),
                                                     ('yes', 'yes')]
    assert list(frame['aggregator GFLOPs (ours)']) == pytest.approx([11.0, 12.0, 21.0, 22.0])
    assert list(frame['aggregator GFLOPs (paper)']) == [188.1, 148.9, 134.6, 95.3]
    assert frame.iloc[0]['aggregator latency ms (ours, cpu)'] == 400.0


def test_save_and_load_records(tmp_path):
    rec = _record(ERRSEG, 'A-150', 1.0, 0.5)
    path = save_record(rec, tmp_path)
    assert path.name == 'ERR-Seg_A-150_cpu.json'
    assert load_records([path]) == [rec] == load_records([tmp_path])


def test_default_p_is_clamped_to_a_small_vocabulary_but_an_explicit_one_is_checked():
    assert setting_specs(TINY, num_classes=3)[0].num_selected == 3
    assert setting_specs(TINY, num_classes=3, num_selected=2)[0].num_selected == 2


def test_write_paper_table_from_records(tmp_path):
    from mmseg_errseg.profiling import write_paper_table
    records = [_record(ERRSEG, 'A-150', 288.3, 171.0)]
    csv, md = write_paper_table('4', records, tmp_path)
    assert csv.name == 'table4.csv' and 'fvcore, 1 FMA = 1 flop' in md.read_text()
    with pytest.raises(ValueError, match='no record matches Table 11'):
        write_paper_table('11', [_record(ERRSEG, 'A-847', 1.0, 0.5)], tmp_path)


def test_format_comparison_ratios_to_the_first_method():
    from mmseg_errseg.profiling import format_comparison
    fast, slow = _record(ERRSEG, 'A-150', 100.0, 50.0), _record(COST_AGG, 'A-150', 400.0, 50.0)
    slow['latency']['median_ms'] = 3000.0
    text = format_comparison([fast, slow])
    row = next(line for line in text.splitlines() if COST_AGG in line)
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[3:5] == ['400.00', '4.00'] and cells[-2:] == ['3000.00', '3.00']


def test_cli_renders_a_table_from_records(capsys, tmp_path):
    records = [_record(f'v{sr}{pool}', 'A-150', 200.0, 171.0, spatial=sr * 10.0, classes=pool * 1.0,
                       sr=sr, pool=pool) for sr in (1, 2) for pool in (1, 2)]
    for rec in records:
        save_record(rec, tmp_path / 'records')
    code, out, err = _run(capsys, '--table', '11', '--records', str(tmp_path / 'records'),
                          '--out-dir', str(tmp_path / 'tables'))
    assert code == 0, err
    assert '188.1' in out and 'nan' not in out
    assert (tmp_path / 'tables' / 'table11.md').is_file()
    code, _, err = _run(capsys, '--records', str(tmp_path / 'records'))
    assert code == 1 and 'add --table' in err
    code, _, err = _run(capsys)
    assert code == 1 and 'give CONFIG' in err
