"""Records are reused only while the code that made them is unchanged (code fingerprints per run kind)."""
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO
from mmseg_errseg.cli import main
from mmseg_errseg.harness import fingerprint
from mmseg_errseg.harness.paper_experiments import EXPERIMENTS, experiment_keys
from mmseg_errseg.harness.planner import PlanOptions, make_plan
from mmseg_errseg.harness.record_store import RecordStore
from mmseg_errseg.harness.scales import SMOKE

_TABLES = '1,11,12'  # dataset statistics, efficiency profiles, trainings and their evaluations


@pytest.fixture
def recorded(tmp_path):
    """A work dir with a record (stamped with the code now) for every run of a small smoke plan."""
    work = tmp_path / 'wd'
    plan = make_plan([EXPERIMENTS[k] for k in experiment_keys(_TABLES)],
                     PlanOptions(SMOKE, str(work / 'data'), datasets=['voc20']))
    store = RecordStore(work)
    for run in plan.runs.values():
        store.write(run, dict(stand_in=True), 0.0)
    kinds = sorted(r.kind for r in plan.runs.values())
    assert set(kinds) == {'analysis', 'eval', 'profile', 'train'}
    return work, kinds


def _dry_run(work, capsys):
    assert main(['reproduce', '--smoke', '--tables', _TABLES, '--datasets', 'voc20', '--work-dir', str(work),
                 '--dry-run']) == 0
    return capsys.readouterr().out


def _to_run(text):
    """Kind -> (recorded, to run) from the plan's summary line."""
    return {k: (int(a), int(b)) for k, a, b in re.findall(r'(\w+): (\d+) recorded, (\d+) to run', text)}


def _copy_package(tmp_path, monkeypatch) -> Path:
    copy = tmp_path / 'src' / 'mmseg_errseg'
    shutil.copytree(fingerprint.source_root(), copy, ignore=shutil.ignore_patterns('__pycache__'))
    monkeypatch.setattr(fingerprint, 'source_root', lambda: copy)
    return copy


def test_a_changed_model_file_plans_the_runs_that_execute_it_again_and_nothing_else(recorded, tmp_path, monkeypatch,
                                                                                    capsys):
    work, kinds = recorded
    counts = {k: kinds.count(k) for k in set(kinds)}
    before = _to_run(_dry_run(work, capsys))
    assert before == {'trainings': (counts['train'], 0), 'evaluations': (counts['eval'], 0),
                      'analyses': (counts['analysis'], 0), 'runs': (counts['profile'], 0)}

    copy = _copy_package(tmp_path, monkeypatch)
    for unrelated in ('analysis/plots.py', 'analysis/tables.py', 'cli/reproduce.py', 'harness/report.py'):
        with open(copy / unrelated, 'a') as f:  # views, plots and the command line determine no record
            f.write('\n# edited\n')
    assert _to_run(_dry_run(work, capsys)) == before

    with open(copy / 'models' / 'errseg.py', 'a') as f:
        f.write('\n# edited\n')
    out = _dry_run(work, capsys)
    after = _to_run(out)
    assert after == {'trainings': (0, counts['train']), 'evaluations': (0, counts['eval']),
                     'analyses': (counts['analysis'], 0), 'runs': (0, counts['profile'])}
    stale = counts['train'] + counts['eval'] + counts['profile']
    assert f'Stale records ({stale}, run again' in out and 'changed since the record: model code' in out

    assert main(['reproduce', '--smoke', '--tables', _TABLES, '--datasets', 'voc20', '--status', str(work)]) == 0
    status = capsys.readouterr().out
    assert 'stale record (changed since the record: model code)' in status


def test_stale_records_are_served_only_when_accepted_and_then_marked(recorded, tmp_path, monkeypatch):
    work, _ = recorded
    key = next(k for k in RecordStore(work) if RecordStore(work).get(k)['run']['kind'] == 'train')
    monkeypatch.setattr(fingerprint, 'package_version', lambda *names: '0.0-other' if 'torch' in names else '1')
    store = RecordStore(work)
    assert key not in store and store.get(key) is None and store.state(key).status == 'stale'
    assert 'torch' in store.state(key).why and '-> 0.0-other' in store.state(key).why
    accepting = RecordStore(work, accept_stale=True)
    assert accepting.get(key) is not None and accepting.mark(key).startswith('stale record (changed since')


def test_a_record_made_with_uncommitted_code_is_marked(tmp_path):
    store = RecordStore(tmp_path)
    from mmseg_errseg.harness.runs import Run
    run = Run('analysis', dict(n=1), 'an analysis', 'a')
    path = store.write(run, dict(rows=[]), 1.0, dict(revision='abc123 (with uncommitted changes)'))
    record = json.loads(path.read_text())
    assert record['code']['sha256'] == fingerprint.code_fingerprint('analysis')['sha256']
    record['code']['dirty'] = True
    path.write_text(json.dumps(record))
    store = RecordStore(tmp_path)
    assert run.key in store and store.state(run.key).status == 'dirty'
    assert store.mark(run.key) == 'made with uncommitted changes in its code (abc123 (with uncommitted changes))'


def test_committed_results_come_from_a_clean_revision():
    files = sorted((REPO / 'results').rglob('provenance.json'))
    assert files
    for path in files:
        prov = json.loads(path.read_text())
        revisions = [prov.get('revision')] + [r['produced']['revision'] for r in prov['runs'] if r.get('produced')]
        dirty = [r for r in revisions if not r or 'uncommitted' in r]
        assert not dirty, f'{path.relative_to(REPO)} names a dirty or unknown revision: {dirty[0]!r}'


def test_a_training_never_resumes_the_checkpoints_of_other_code(tmp_path):
    from mmseg_errseg.harness.train_run import _set_aside_other_code
    train_dir = tmp_path / 'train' / 'b-official-0123'
    train_dir.mkdir(parents=True)
    (train_dir / 'last_checkpoint').write_text('iter_6.pth')
    (train_dir / 'code.json').write_text(json.dumps(dict(sha256='0' * 64)))
    _set_aside_other_code(train_dir)
    aside = [p.name for p in train_dir.parent.iterdir() if p.name.startswith('b-official-0123.stale-000000000000-')]
    assert len(aside) == 1 and (train_dir.parent / aside[0] / 'last_checkpoint').is_file()
    assert not (train_dir / 'last_checkpoint').exists()
    now = json.loads((train_dir / 'code.json').read_text())['sha256']
    assert now == fingerprint.code_fingerprint('train')['sha256']
    (train_dir / 'last_checkpoint').write_text('iter_3.pth')  # an interrupted training of this code: resumed
    _set_aside_other_code(train_dir)
    assert (train_dir / 'last_checkpoint').is_file() and len(list(train_dir.parent.iterdir())) == 2
