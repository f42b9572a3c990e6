"""Run a plan as submitit jobs, one per run: on Slurm (``--executor slurm``) or as local subprocesses.

Job ids and logs are kept in ``<work_dir>/jobs``: a command started again waits for the jobs still in
flight instead of submitting them twice (README, *On a cluster*).
"""
import dataclasses
import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence

import submitit

from ..utils import write_json
from .distributed import leave_group, setup_launcher
from .executor import ExecutionContext, Outcome, run_once, summarise_result, sweep_outcome, waiting_for
from .planner import Plan
from .record_store import RecordStore
from .runs import KINDS, Run

__all__ = ['job_resources', 'RunJob', 'submit_plan', 'jobs_dir', 'read_jobs', 'job_state', 'make_executor']

#: Resource keys per run kind: GPUs per node, nodes, time limit (minutes), CPUs per task, Slurm partition.
RESOURCE_KEYS = ('gpus', 'nodes', 'time', 'cpus', 'partition')
_DEFAULTS = {
    'train': dict(gpus=4, nodes=1, time=72 * 60, cpus=8),  # the paper's 4 GPUs, 80k iterations
    'eval': dict(gpus=1, nodes=1, time=6 * 60, cpus=8),
    'profile': dict(gpus=1, nodes=1, time=2 * 60, cpus=8),
    'analysis': dict(gpus=0, nodes=1, time=2 * 60, cpus=4),
}
_SMOKE = dict(gpus=0, nodes=1, time=60, cpus=1)
#: Slurm states of a job that is still queued or running.
_IN_FLIGHT = ('PENDING', 'RUNNING', 'REQUEUED', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'UNKNOWN')


def job_resources(smoke: bool, pairs: Sequence[str] = (), partition: Optional[str] = None) -> Dict[str, dict]:
    """Run kind -> what its jobs ask for: the scale's defaults, then ``--resources`` pairs ``KIND.KEY=VALUE``
    (kind ``all``: every kind; keys :data:`RESOURCE_KEYS`).

    Raises:
        ValueError: A malformed pair, an unknown kind or key, or a bad value.
    """
    kinds = {k: dict(_SMOKE if smoke else _DEFAULTS[k], partition=partition) for k in KINDS}
    for pair in pairs:
        name, sep, value = pair.partition('=')
        kind, dot, key = name.partition('.')
        if not sep or not dot:
            raise ValueError(f'--resources {pair!r}: expected KIND.KEY=VALUE, e.g. train.gpus=4')
        if kind not in (*KINDS, 'all'):
            raise ValueError(f'resources for {kind!r}: expected a run kind ({", ".join(KINDS)}) or "all"')
        if key not in RESOURCE_KEYS:
            raise ValueError(f'resource {kind}.{key}: expected one of {", ".join(RESOURCE_KEYS)}')
        if key != 'partition':
            try:
                value = int(value)
            except ValueError:
                raise ValueError(f'resource {kind}.{key}={value!r}: expected a whole number') from None
            if value < (key in ('nodes', 'time', 'cpus')):
                raise ValueError(f'resource {kind}.{key}={value}: too small')
        for k in (KINDS if kind == 'all' else (kind,)):
            kinds[k][key] = value
    return kinds


def make_executor(folder: Path, cluster: str, run: Run, resources: Dict[str, dict],
                  dependency: Optional[str] = None) -> submitit.AutoExecutor:
    """The submitit executor of one run's job (``folder``: its logs, ``%j`` the job id): a training takes one
    task per GPU (each a process of mmengine's ``slurm`` launcher), every other run one task; ``dependency``
    is a Slurm one (``afterok:ID[:ID]``)."""
    r = resources[run.kind]
    ex = submitit.AutoExecutor(folder=folder, cluster=cluster)
    ex.update_parameters(
        name=f'errseg-{run.kind}-{run.slug}'[:60], timeout_min=r['time'], nodes=r['nodes'],
        tasks_per_node=max(1, r['gpus']) if run.kind == 'train' else 1, cpus_per_task=r['cpus'],
        gpus_per_node=r['gpus'] or None, slurm_partition=r.get('partition'),
        slurm_signal_delay_s=120,  # time to write a checkpoint before the job is requeued
        slurm_additional_parameters=dict(dependency=dependency, kill_on_invalid_dep='yes') if dependency else None)
    return ex


def jobs_dir(work_dir: Path) -> Path:
    return Path(work_dir) / 'jobs'


def read_jobs(work_dir: Path) -> Dict[str, Dict[str, Any]]:
    """Run key -> the job submitted for it (executor, job id, host, log paths, attempt)."""
    try:
        return json.loads((jobs_dir(work_dir) / 'jobs.json').read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return {}


class RunJob(submitit.helpers.Checkpointable):
    """One run as a submitit job: runs it unless it is recorded, records it (first task). ``launcher``:
    ``'slurm'`` for a training over several tasks; ``threads``: torch CPU threads (``None``: torch's default)."""

    def __init__(self, run: Run, ctx: ExecutionContext, launcher: str = 'none', threads: Optional[int] = None):
        self.run, self.launcher, self.threads = run, launcher, threads
        self.ctx = dataclasses.replace(ctx, store=None)

    def __call__(self) -> str:
        import torch
        store = RecordStore(self.ctx.work_dir, accept_stale=self.ctx.accept_stale)
        if self.run.key in store:  # recorded meanwhile (e.g. before a requeue): never redone
            return 'recorded'
        if self.threads:
            torch.set_num_threads(self.threads)
        if self.launcher == 'slurm' and 'SLURM_JOB_ID' in os.environ:  # two trainings may share a node
            os.environ.setdefault('MASTER_PORT', str(20000 + int(os.environ['SLURM_JOB_ID']) % 20000))
        dist = setup_launcher(self.launcher)
        try:
            result, seconds = run_once(self.run, dataclasses.replace(self.ctx, store=store, dist=dist))
        finally:
            leave_group(dist)
        return f'{summarise_result(self.run.kind, result)} ({seconds:.1f} s)'

    def checkpoint(self, *args, **kwargs):
        """Requeued on preemption or timeout as it is: a training resumes from its last checkpoint."""
        return submitit.helpers.DelayedSubmission(self, *args, **kwargs)


def _job(entry: Dict[str, Any], folder: Path) -> submitit.Job:
    return (submitit.SlurmJob if entry['executor'] == 'slurm' else submitit.LocalJob)(folder, entry['job_id'])


def _alive(entry: Dict[str, Any], folder: Path) -> bool:
    """Whether a job (of this command or an earlier one) is still queued or running."""
    if entry['executor'] == 'slurm':
        return _job(entry, folder).state in _IN_FLIGHT
    try:  # a local job's id is the pid of submitit's controller process, on the host that submitted it
        os.kill(int(entry['job_id']), 0)
    except (OSError, ValueError):
        return False
    return entry.get('host') == socket.gethostname()


def _error(job: submitit.Job) -> Optional[BaseException]:
    """The error of a finished job (``UncompletedJobError``: it left no result, e.g. killed)."""
    try:
        return job.exception()
    except Exception as e:  # submitit raises when the job left no result at all
        return e


def _first_line(error: Optional[BaseException]) -> str:
    if error is None:
        return 'the job finished without writing its record'
    lines = [line for line in str(error).splitlines() if line.strip()]
    # submitit's FailedJobError holds the job's traceback: its last line is the error
    return f'{type(error).__name__}: {lines[-1].strip() if lines else ""}'[:300]


def job_state(entry: Dict[str, Any], work_dir: Path) -> tuple:
    """(state, detail) of a run's job as submitit sees it: running, queued, or failed with its error."""
    folder = jobs_dir(work_dir) / '%j'
    job = _job(entry, folder)
    try:
        state = job.state if entry['executor'] == 'slurm' else ('RUNNING' if _alive(entry, folder) else 'ENDED')
    except Exception:  # no scheduler to ask (e.g. looking from another machine)
        return 'unknown', f'cannot ask the scheduler (log: {entry["stdout"]})'
    if state in _IN_FLIGHT:
        return ('running' if state == 'RUNNING' else 'queued'), f'log: {entry["stdout"]}'
    if not job.paths.result_pickle.exists():
        return 'failed', f'the job ended without a record (log: {entry["stderr"]})'
    return 'failed', f'{_first_line(_error(job))} (log: {entry["stderr"]})'


def submit_plan(plan: Plan, ctx: ExecutionContext, executor: str, resources: Dict[str, dict],
                max_parallel: Optional[int] = None, threads: Optional[int] = None, retries: int = 1,
                poll_s: Optional[float] = None, echo: Callable[[str], None] = print) -> Outcome:
    """Submit every run of a plan that has no record and can run as one job; wait for them all.

    Args:
        executor: ``'slurm'`` or ``'submitit-local'``.
        resources: Per-kind resources (:func:`job_resources`).
        max_parallel: Jobs in flight at most (``None``: no limit on Slurm, 1 locally).
        threads: torch CPU threads in each job.
        retries: How often a job that left no result (node failure, kill, out of memory) is
            submitted again; a run that raised is not.
        poll_s: Seconds between looks at the jobs (default: 1 locally, 60 on Slurm).
    """
    cluster = 'slurm' if executor == 'slurm' else 'local'
    limit = max_parallel or (None if cluster == 'slurm' else 1)
    poll_s = poll_s if poll_s is not None else (60.0 if cluster == 'slurm' else 1.0)
    store, folder = ctx.store, jobs_dir(ctx.work_dir) / '%j'
    out, todo = sweep_outcome(plan, store)
    registry = read_jobs(ctx.work_dir)
    in_flight, attempts = {}, {}  # key -> submitit job (None: a local one of an earlier command); key -> submissions
    for run in todo:  # jobs of an earlier command still in flight are waited for, not submitted again
        if (entry := registry.get(run.key)) and entry['executor'] == executor and _alive(entry, folder):
            in_flight[run.key] = _job(entry, folder) if cluster == 'slurm' else None
            echo(f'    {run.label}: job {entry["job_id"]} of an earlier command is still in flight')
    pending = [r for r in todo if r.key not in in_flight]
    start = time.perf_counter()

    def submit(run: Run, dependency: Optional[str]) -> None:
        launcher = 'slurm' if cluster == 'slurm' and run.kind == 'train' else 'none'
        job = make_executor(folder, cluster, run, resources, dependency).submit(RunJob(run, ctx, launcher, threads))
        in_flight[run.key] = job
        attempts[run.key] = attempts.get(run.key, 0) + 1
        registry[run.key] = dict(executor=executor, job_id=job.job_id, kind=run.kind, label=run.label,
                                 host=socket.gethostname(), attempt=attempts[run.key],
                                 submitted=time.strftime('%Y-%m-%dT%H:%M:%S'),
                                 stdout=store.relative(job.paths.stdout), stderr=store.relative(job.paths.stderr))
        write_json(jobs_dir(ctx.work_dir) / 'jobs.json', registry)
        echo(f'[job {job.job_id}] {run.label}' + (f' (after {dependency})' if dependency else ''))

    while pending or in_flight:
        for key, job in list(in_flight.items()):
            if (_alive(registry[key], folder) if job is None else not job.done()):
                continue  # still in flight
            del in_flight[key]
            store.reload()
            run = plan.runs[key]
            if key in store:
                out.ran.append(key)
                echo(f'    done: {run.label}  ({store.relative(store.path(key))})')
                continue
            error = _error(job) if job is not None else submitit.core.utils.UncompletedJobError()
            if isinstance(error, submitit.core.utils.UncompletedJobError) and attempts.get(key, 0) <= retries:
                echo(f'    job {registry[key]["job_id"]} of {run.label} ended without a result; submitting it again')
                pending.insert(0, run)
                continue
            out.failed[key] = f'{_first_line(error)} (log: {registry[key]["stderr"]})'
            echo(f'    FAILED: {run.label}: {out.failed[key]}')
        for run in list(pending):
            if limit is not None and len(in_flight) >= limit:
                break
            # locally, jobs share this machine: an efficiency run (it measures time) runs alone
            if cluster == 'local' and in_flight and (run.kind == 'profile' or
                                                     any(registry[k]['kind'] == 'profile' for k in in_flight)):
                continue
            missing = [d for d in run.deps if d not in store]
            lost = [d for d in missing if d in out.failed or d not in in_flight and d not in {r.key for r in pending}]
            if lost:
                out.waiting[run.key] = waiting_for(plan, lost[0])
                pending.remove(run)
            # locally a run is submitted once its inputs are recorded; on Slurm, after their jobs
            elif not missing or cluster == 'slurm' and all(in_flight.get(d) is not None for d in missing):
                pending.remove(run)
                submit(run, 'afterok:' + ':'.join(in_flight[d].job_id for d in missing) if missing else None)
        if pending or in_flight:
            time.sleep(poll_s)
    store.reload()
    echo(f'jobs: {len(out.ran)} recorded, {len(out.failed)} failed in {time.perf_counter() - start:.0f} s '
         f'(logs under {store.relative(jobs_dir(ctx.work_dir))})')
    return out
