"""Every run its own job (submitit): the same records as in one process, kills survived, Slurm parameters."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO
from mmseg_errseg.cli import main
from mmseg_errseg.harness.runs import Run
from mmseg_errseg.harness.submitit_executor import job_resources, make_executor

_SWEEP = ['reproduce', '--smoke', '--tables', '7', '--datasets', 'voc20', '--cfg-options', 'train_cfg.max_iters=12']


def _results(work: Path):
    """Run key -> result, without what may differ between identical runs (time, how it was resumed)."""
    out = {}
    for path in (work / 'records').glob('*/*.json'):
        record = json.loads(path.read_text())
        out[record['run']['key']] = {k: v for k, v in record['result'].items() if k not in ('created', 'resumed_from')}
    return out


def test_submitit_local_jobs_make_the_records_of_the_inline_sweep_and_survive_a_kill(tmp_path, capsys):
    inline, jobs = tmp_path / 'inline', tmp_path / 'jobs'
    assert main([*_SWEEP, '--work-dir', str(inline), '--out', str(tmp_path / 'out_inline')]) == 0
    log = tmp_path / 'jobs.log'
    with open(log, 'w') as f:
        proc = subprocess.Popen([sys.executable, '-m', 'mmseg_errseg', *_SWEEP, '--work-dir', str(jobs), '--out',
                                 str(tmp_path / 'out_jobs'), '--executor', 'submitit-local', '--max-parallel', '2'],
                                cwd=REPO, stdout=f, stderr=subprocess.STDOUT, env=dict(os.environ, OMP_NUM_THREADS='1'))
    try:  # SIGKILL the training's process once it has a checkpoint (it has 12 iterations, checkpoints every 3)
        killed, deadline = None, time.time() + 300
        while killed is None and time.time() < deadline and proc.poll() is None:
            registry = jobs / 'jobs' / 'jobs.json'
            train = [e for e in json.loads(registry.read_text()).values() if e['kind'] == 'train'] \
                if registry.is_file() else []
            if train and list((jobs / 'train').glob('*/last_checkpoint')):
                # a local job's id is the pid of submitit's controller; the training is its one task
                controller = train[0]['job_id']
                tasks = Path(f'/proc/{controller}/task/{controller}/children').read_text().split()
                if tasks:
                    os.kill(int(tasks[0]), signal.SIGKILL)
                    killed = int(tasks[0])
            time.sleep(0.05)
        assert killed, 'the training job did not reach its first checkpoint'
        assert proc.wait(400) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    out = log.read_text()
    assert 'ended without a result; submitting it again' in out
    train = next(json.loads(p.read_text())['result'] for p in (jobs / 'records' / 'train').glob('*.json'))
    assert train['resumed_from'] and train['iterations'] == 12
    expected = _results(inline)
    assert len(expected) == 4 and _results(jobs) == expected  # bit-identical numbers, though killed and resumed
    assert (tmp_path / 'out_jobs' / 'table7_smoke_cells.csv').read_text() == \
        (tmp_path / 'out_inline' / 'table7_smoke_cells.csv').read_text()
    lines = out.splitlines()
    trained = max(i for i, line in enumerate(lines) if line.startswith('    done: train'))
    evals = [i for i, line in enumerate(lines) if line.startswith('[job') and '] eval ' in line]
    assert len(evals) == 3 and min(evals) > trained  # no evaluation before its checkpoint

    capsys.readouterr()
    assert main(['reproduce', '--status', str(jobs)]) == 0  # the sweep's options are read from the work dir
    status = capsys.readouterr().out
    assert '4 runs: 4 recorded' in status and status.count('submitit-local ') == 4


def test_slurm_jobs_ask_for_the_resources_of_their_kind(tmp_path, monkeypatch):
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'srun').write_text('#!/bin/sh\nexit 0\n')
    (fake / 'srun').chmod(0o755)
    monkeypatch.setenv('PATH', f'{fake}{os.pathsep}{os.environ["PATH"]}')
    resources = job_resources(False, ['train.gpus=8', 'train.nodes=2', 'train.time=4320', 'all.cpus=6'], 'gpu')

    def sbatch(run, dependency=None):
        ex = make_executor(tmp_path / '%j', 'slurm', run, resources, dependency)
        return {line for line in ex._executor._make_submission_file_text('cmd', 'uid').splitlines()
                if line.startswith('#SBATCH')}

    train = sbatch(Run('train', dict(n=1), 'a training', 'official'))
    assert {'#SBATCH --gpus-per-node=8', '#SBATCH --ntasks-per-node=8', '#SBATCH --nodes=2', '#SBATCH --time=4320',
            '#SBATCH --partition=gpu', '#SBATCH --cpus-per-task=6', '#SBATCH --signal=USR2@120'} <= train
    assert not any('dependency' in line for line in train)
    ev = sbatch(Run('eval', dict(n=2), 'an evaluation', 'voc20'), 'afterok:41')
    assert {'#SBATCH --gpus-per-node=1', '#SBATCH --ntasks-per-node=1', '#SBATCH --nodes=1', '#SBATCH --time=360',
            '#SBATCH --dependency=afterok:41', '#SBATCH --kill-on-invalid-dep=yes'} <= ev
    analysis = sbatch(Run('analysis', dict(n=3), 'an analysis', 'stats'))
    assert '#SBATCH --time=120' in analysis and not any('gpus' in line for line in analysis)


@pytest.mark.parametrize('flags, message', [
    (['--resources', 'train.gpu=4'], "resource train.gpu: expected one of gpus, nodes, time, cpus, partition"),
    (['--resources', 'training.gpus=4'], "resources for 'training': expected a run kind"),
    (['--resources', 'eval.time=soon'], "resource eval.time='soon': expected a whole number"),
    (['--resources', 'gpus=4'], "--resources 'gpus=4': expected KIND.KEY=VALUE"),
    (['--max-parallel', '0'], '--max-parallel must be >= 1, got 0'),
    (['--executor', 'slurm', '--launcher', 'pytorch'], 'drop --launcher pytorch'),
])
def test_bad_executor_options_are_one_line(flags, message, tmp_path, capsys):
    assert main(['reproduce', '--smoke', '--dry-run', '--work-dir', str(tmp_path), *flags]) == 1
    err = capsys.readouterr().err
    assert message in err and 'Traceback' not in err


def test_status_of_a_work_dir_that_no_sweep_used(tmp_path, capsys):
    assert main(['reproduce', '--status', str(tmp_path)]) == 1
    assert 'not the work dir of a sweep' in capsys.readouterr().err


def test_a_job_whose_run_is_recorded_does_nothing_and_a_requeued_job_is_the_same_job(tmp_path, monkeypatch):
    from mmseg_errseg.harness import executor
    from mmseg_errseg.harness.executor import ExecutionContext
    from mmseg_errseg.harness.record_store import RecordStore
    from mmseg_errseg.harness.submitit_executor import RunJob
    run = Run('eval', dict(n=1), 'an evaluation', 'e')
    store = RecordStore(tmp_path)
    ctx = ExecutionContext(tmp_path, None, store)
    ran = []
    monkeypatch.setattr(executor, '_dispatch', lambda r, c: ran.append(r.label) or dict(metrics=dict(mIoU=1.0)))
    job = RunJob(run, ctx)
    assert job().startswith('mIoU 1.00') and ran == ['an evaluation'] and run.key in RecordStore(tmp_path)
    assert job() == 'recorded' and ran == ['an evaluation']  # e.g. requeued after it finished: not redone
    again = job.checkpoint()
    assert again.function is job and not again.args


def test_jobs_wait_for_their_inputs_and_local_efficiency_runs_run_alone(tmp_path, monkeypatch):
    """The submission loop against fake jobs: what is in flight whenever a job is submitted."""
    from types import SimpleNamespace

    from mmseg_errseg.harness import executor, submitit_executor
    from mmseg_errseg.harness.executor import ExecutionContext
    from mmseg_errseg.harness.planner import Plan, PlanOptions
    from mmseg_errseg.harness.record_store import RecordStore
    from mmseg_errseg.harness.scales import SMOKE
    train = Run('train', dict(n=1), 'training', 't')
    runs = [train, Run('eval', dict(n=2), 'evaluation', 'e', deps=(train.key,)),
            Run('profile', dict(n=3), 'profile 1', 'p1'), Run('profile', dict(n=4), 'profile 2', 'p2'),
            Run('analysis', dict(n=5), 'statistics', 'a')]
    plan = Plan([], {r.key: r for r in runs}, {}, PlanOptions(SMOKE))
    store = RecordStore(tmp_path)
    running, submitted = [], []

    class Job:
        def __init__(self, fn):
            self.fn, self.polls, self.job_id = fn, 0, str(len(submitted))
            self.paths = SimpleNamespace(stdout=tmp_path / 'out', stderr=tmp_path / 'err')

        def done(self):
            self.polls += 1
            if self.polls == 2:  # finishes on the second look
                self.fn()
                running.remove(self.fn.run.label)
            return self.polls >= 2

        def exception(self):
            return None

    class Executor:
        def submit(self, fn):
            submitted.append((fn.run.label, sorted(running), sorted(store.get(k)['run']['label'] for k in store)))
            running.append(fn.run.label)
            return Job(fn)
    monkeypatch.setattr(submitit_executor, 'make_executor', lambda *a, **k: Executor())
    monkeypatch.setattr(executor, '_dispatch', lambda run, ctx: dict(done=run.label))
    out = submitit_executor.submit_plan(plan, ExecutionContext(tmp_path, None, store), 'submitit-local',
                                        job_resources(True), max_parallel=3, poll_s=0, echo=lambda _: None)
    assert sorted(out.ran) == sorted(r.key for r in runs) and not out.failed
    at = {label: (others, recorded) for label, others, recorded in submitted}
    assert 'training' in at['evaluation'][1]  # submitted once its training is recorded
    for label in ('profile 1', 'profile 2'):  # alone: nothing in flight when submitted ...
        assert at[label][0] == []
    for label, others, _ in submitted:  # ... and nothing submitted while one runs
        assert not any(o.startswith('profile') for o in others), (label, others)
    assert max(len(others) for _, others, _ in submitted) >= 1  # the rest did run side by side


def test_runs_that_need_a_failed_job_wait_and_the_sweep_goes_on(tmp_path, monkeypatch):
    from mmseg_errseg.harness import executor, submitit_executor
    from mmseg_errseg.harness.executor import ExecutionContext
    from mmseg_errseg.harness.planner import Plan, PlanOptions
    from mmseg_errseg.harness.record_store import RecordStore
    from mmseg_errseg.harness.scales import SMOKE
    train = Run('train', dict(n=1), 'training', 't')
    evaluation = Run('eval', dict(n=2), 'evaluation', 'e', deps=(train.key,))
    stats = Run('analysis', dict(n=3), 'statistics', 'a')
    plan = Plan([], {r.key: r for r in (train, evaluation, stats)}, {}, PlanOptions(SMOKE))
    store = RecordStore(tmp_path)

    class Job:  # runs its function when submitted; done at the first look
        def __init__(self, fn):
            self.job_id, self.paths = fn.run.slug, None
            try:
                fn()
                self.error = None
            except RuntimeError as e:
                self.error = e

        def done(self):
            return True

        def exception(self):
            return self.error

    class Executor:
        def submit(self, fn):
            job = Job(fn)
            job.paths = type('Paths', (), dict(stdout=tmp_path / 'out', stderr=tmp_path / 'err'))
            return job

    def dispatch(run, ctx):
        if run.kind == 'train':
            raise RuntimeError('CUDA out of memory')
        return dict(done=run.label)
    monkeypatch.setattr(submitit_executor, 'make_executor', lambda *a, **k: Executor())
    monkeypatch.setattr(executor, '_dispatch', dispatch)
    out = submitit_executor.submit_plan(plan, ExecutionContext(tmp_path, None, store), 'submitit-local',
                                        job_resources(True), poll_s=0, echo=lambda _: None)
    assert out.ran == [stats.key] and list(out.failed) == [train.key]
    assert 'RuntimeError: CUDA out of memory' in out.failed[train.key]
    assert out.waiting == {evaluation.key: 'waiting for training, which did not finish'}
