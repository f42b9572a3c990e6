"""errseg reproduce end to end at smoke scale: records, views, no repeated work, interruption, launchers."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO
from mmseg_errseg.cli import main
from mmseg_errseg.harness import executor


def _records(work_dir: Path):
    return {p: json.loads(p.read_text()) for p in sorted((work_dir / 'records').glob('*/*.json'))}


def _no_partial_files(*folders):
    for folder in folders:
        partial = [p for p in Path(folder).rglob('*') if p.name.startswith('.') and p.suffix in ('.tmp', '.json')
                   or p.name.endswith('.tmp')]
        assert not partial, partial


@pytest.fixture(scope='module')
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp('reproduce')
    argv = ['reproduce', '--smoke', '--tables', '9,12', '--datasets', 'ade150,voc20', '--work-dir',
            str(root / 'wd'), '--out', str(root / 'out')]
    assert main(argv) == 0
    return root, argv


def test_smoke_sweep_records_every_run_and_writes_every_view(swept, capsys):
    root, _ = swept
    records = _records(root / 'wd')
    kinds = sorted(r['run']['kind'] for r in records.values())
    # trainings: official, w/o removal (Table 9), vanilla MLP (Table 12); evaluations: all three on A-150,
    # Table 12's two on PAS-20 (Table 9 has no PAS-20 column); the official ones are shared
    assert kinds == ['eval'] * 5 + ['train'] * 3
    train = next(r for r in records.values() if r['run']['kind'] == 'train')
    assert train['result']['iterations'] == 6 and (root / 'wd' / train['result']['checkpoint']).is_file()
    ev = next(r for r in records.values() if r['run']['kind'] == 'eval' and r['result']['dataset'] == 'ade150')
    assert {'mIoU', 'mean_gt_classes', 'mean_overlap_classes'} <= set(ev['result']['metrics'])
    assert ev['result']['num_selected'] == 32 and ev['result']['crop_size'] == [128, 128]
    assert ev['provenance']['command'].startswith('errseg reproduce --smoke')
    out = root / 'out'
    assert {'table9_smoke.md', 'table9_smoke.csv', 'table9_smoke.tex', 'table12_smoke.md', 'cells_smoke.csv',
            'provenance.json', 'README.md'} <= {p.name for p in out.iterdir()}
    md = (out / 'table9_smoke.md').read_text()
    assert 'SMOKE' in md and 'not requested (--datasets ade150,voc20)' in md
    prov = json.loads((out / 'provenance.json').read_text())
    assert prov['smoke'] and prov['summary']['recorded'] == 8 and prov['environment']['torch']
    produced = [r['produced'] for r in prov['runs'] if r['record']]
    assert produced and all(p['command'].startswith('errseg reproduce --smoke') and p['created'] for p in produced)
    _no_partial_files(root / 'wd' / 'records', out)


def test_a_second_sweep_runs_nothing(swept, monkeypatch, capsys):
    root, argv = swept
    before = {p: p.stat().st_mtime_ns for p in _records(root / 'wd')}

    def refuse(run, ctx):
        raise AssertionError(f'{run.label} ran again')
    monkeypatch.setattr(executor, '_dispatch', refuse)
    assert main(argv) == 0
    assert '0 runs now, 8 already recorded' in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in _records(root / 'wd')} == before


def _reproduce(work_dir, out, *extra):
    return [sys.executable, '-m', 'mmseg_errseg', 'reproduce', '--smoke', '--tables', '12', '--datasets', 'voc20',
            '--work-dir', str(work_dir), '--out', str(out), '--cfg-options', 'train_cfg.max_iters=12', *extra]


def test_killed_sweep_loses_no_record_and_resumes_training(tmp_path):
    work, out = tmp_path / 'wd', tmp_path / 'out'
    proc = subprocess.Popen(_reproduce(work, out), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # kill it (SIGKILL: no clean-up at all) once the second training has saved a checkpoint
        deadline = time.time() + 240
        while time.time() < deadline and proc.poll() is None:
            trains = list((work / 'records' / 'train').glob('*.json')) if (work / 'records').is_dir() else []
            second = [d for d in (work / 'train').glob('*') if (d / 'last_checkpoint').is_file()
                      and not any(d.name in t.name for t in trains)] if trains else []
            if second:
                break
            time.sleep(0.1)
        assert proc.poll() is None and second, 'the sweep did not reach its second training'
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    first = _records(work)
    assert len(first) == 1  # the finished training, complete
    _no_partial_files(work / 'records')
    subprocess.run(_reproduce(work, out), cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=300)
    after = _records(work)
    assert all(after[p] == r for p, r in first.items())  # kept as it was
    trains = [r['result'] for r in after.values() if r['run']['kind'] == 'train']
    resumed = [t['resumed_from'] for t in trains if t['resumed_from']]
    assert len(trains) == 2 and len(resumed) == 1 and resumed[0].startswith(f'train/{second[0].name}/iter_')
    assert all(t['iterations'] == 12 for t in trains)
    assert len(after) == 4 and (out / 'table12_smoke.md').is_file()
    _no_partial_files(work / 'records', out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_pytorch_launcher_trains_with_two_cpu_processes(tmp_path):
    work, out = tmp_path / 'wd', tmp_path / 'out'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', str(_free_port()),
           '-m', 'mmseg_errseg', 'reproduce', '--smoke', '--launcher', 'pytorch', '--tables', '12', '--datasets',
           'voc20', '--work-dir', str(work), '--out', str(out)]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    records = list(_records(work).values())
    trains = [r['result'] for r in records if r['run']['kind'] == 'train']
    assert len(trains) == 2 and all(t['processes'] == 2 and t['batch_per_process'] == 1 and
                                    t['total_batch'] == 2 and t['launcher'] == 'pytorch' for t in trains)
    assert sum(r['run']['kind'] == 'eval' for r in records) == 2 and (out / 'table12_smoke.md').is_file()


def test_clear_errors(tmp_path, capsys):
    assert main(['reproduce', '--smoke', '--data-root', str(tmp_path)]) == 1
    assert 'drop --data-root' in capsys.readouterr().err
    assert main(['reproduce', '--checkpoint', str(tmp_path / 'missing.pth')]) == 1
    assert 'no such file' in capsys.readouterr().err
    assert main(['reproduce', '--tables', '4,99', '--dry-run']) == 1
    assert "unknown table or figure 'table99'" in capsys.readouterr().err
    assert main(['reproduce', '--launcher', 'pytorch', '--smoke', '--dry-run']) == 1
    assert 'torchrun --nproc_per_node N' in capsys.readouterr().err
    assert main(['reproduce', '--smoke', '--tables', '7', '--datasets', 'ade20k', '--dry-run']) == 1
    assert "unknown dataset 'ade20k'" in capsys.readouterr().err


def test_dry_run_checks_that_a_checkpoint_is_one(tmp_path, capsys):
    import torch
    notes = tmp_path / 'notes.pth'
    notes.write_text('not weights')
    assert main(['reproduce', '--tables', '7', '--checkpoint', f'b={notes}', '--dry-run']) == 1
    err = capsys.readouterr().err
    assert f"--checkpoint 'b={notes}': not a PyTorch checkpoint" in err and len(err.strip().splitlines()) == 1
    weights = tmp_path / 'errseg_b.pth'
    torch.save(dict(state_dict={}), weights)
    assert main(['reproduce', '--tables', '7', '--checkpoint', f'b={weights}', '--dry-run', '--work-dir',
                 str(tmp_path / 'wd')]) == 0


def test_smoke_dry_run_needs_no_analysis_extra(tmp_path):
    """Without seaborn (the ``analysis`` extra) the plan is still shown: plots import it when they draw."""
    code = ("import sys; sys.modules['seaborn'] = None; from mmseg_errseg.cli import main; "
            f"sys.exit(main(['reproduce', '--smoke', '--dry-run', '--work-dir', {str(tmp_path / 'wd')!r}]))")
    done = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert 'Plan (smoke scale' in done.stdout


@pytest.mark.slow
def test_efficiency_tables_run_at_full_size_without_data_or_checkpoints(tmp_path):
    """Tables 4 and 11 at smoke scale: the efficiency columns are ERR-Seg-B at 640x640, measured for real."""
    import pandas as pd
    out = tmp_path / 'out'
    assert main(['reproduce', '--smoke', '--tables', '4,11', '--datasets', 'voc20', '--work-dir', str(tmp_path / 'wd'),
                 '--out', str(out)]) == 0
    t4 = pd.read_csv(out / 'table4_smoke_cells.csv').set_index(['variant', 'column'])
    assert t4.loc[('ERR-Seg', 'A-847 GFLOPs'), 'ours'] == pytest.approx(346.3, rel=0.01)  # official impl., fvcore
    assert t4.loc[('ERR-Seg', 'A-150 GFLOPs'), 'ours'] == pytest.approx(288.3, rel=0.01)
    assert t4.loc[('ERR-Seg', 'A-847 Latency'), 'ours'] > 0
    t11 = pd.read_csv(out / 'table11_smoke_cells.csv').set_index(['variant', 'column'])
    for variant in ('SSR off, CSR off', 'SSR off, CSR on', 'SSR on, CSR off', 'SSR on, CSR on'):
        cell = t11.loc[(variant, 'GFLOPs')]
        assert cell['ours'] == pytest.approx(cell['paper'], abs=0.2)  # the aggregator's, as the paper's
    assert (out / 'table11_smoke.png').is_file() and (out / 'fig1_smoke.png').exists() is False
