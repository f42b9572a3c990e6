"""Run a plan as jobs through submitit: one job per run, on Slurm or as local subprocesses.

``--executor slurm`` submits every run that has no record as its own Slurm job
(resources per run kind, :class:`Resources`); a training is a multi-GPU job
whose tasks train with mmengine's Runner under its ``slurm`` launcher. A run
that needs another's output is submitted once that run is recorded, or on
Slurm at once with ``--dependency=afterok`` on the job that makes it. Jobs are
requeued on preemption or timeout (submitit's checkpointing): a training
resumes from its last checkpoint, and a job whose run is recorded meanwhile
does nothing. ``--executor submitit-local`` runs the same jobs as subprocesses
of this machine (an efficiency run alone: it measures time). Job ids and logs
are kept in ``<work_dir>/jobs`` (see :mod:`.sweep_status`); the command can be
stopped and started again: jobs in flight are found again, not submitted twice.
"""
import dataclasses
import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import submitit

from ..utils import write_json
from .executor import ExecutionContext, Outcome, run_once, summarise_result, sweep_outcome
from .planner import Plan
from .record_store import RecordStore
from .runs import KINDS, Run

__all__ = ['EXECUTORS', 'Resources', 'RunJob', 'submit_plan', 'jobs_dir', 'read_jobs', 'job_state_file',
           'executor_parameters', 'make_executor']

EXECUTORS = ('inline', 'submitit-local', 'slurm')
#: Resource keys per run kind: GPUs per node, nodes, time limit (minutes), CPUs per task, Slurm partition.
RESOURCE_KEYS = ('gpus', 'nodes', 'time', 'cpus', 'partition')
_DEFAULTS = {
    'train': dict(gpus=4, nodes=1, time=72 * 60, cpus=8),  # the paper's 4 GPUs, 80k iterations
    'eval': dict(gpus=1, nodes=1, time=6 * 60, cpus=8),
    'profile': dict(gpus=1, nodes=1, time=2 * 60, cpus=8),
    'analysis': dict(gpus=0, nodes=1, time=2 * 60, cpus=4),
}
_SMOKE = dict(gpus=0, nodes=1, time=60, cpus=1)


@dataclasses.dataclass
class Resources:
    """What a job of each run kind asks for.

    Args:
        kinds: Run kind -> ``gpus`` (per node), ``nodes``, ``time`` (minutes),
            ``cpus`` (per task) and ``partition``.
    """
    kinds: Dict[str, Dict[str, Any]]

    @classmethod
    def make(cls, smoke: bool, overrides: Optional[Dict[str, Dict[str, Any]]] = None,
             partition: Optional[str] = None) -> 'Resources':
        """Defaults of the scale, then ``overrides`` (kind -> key -> value; kind ``all``: every kind).

        Raises:
            ValueError: An unknown kind or key, or a bad value.
        """
        kinds = {k: dict(_SMOKE if smoke else _DEFAULTS[k], partition=partition) for k in KINDS}
        for kind, values in (overrides or {}).items():
            if kind not in (*KINDS, 'all'):
                raise ValueError(f'resources for {kind!r}: expected a run kind ({", ".join(KINDS)}) or "all"')
            for key, value in values.items():
                if key not in RESOURCE_KEYS:
                    raise ValueError(f'resource {kind}.{key}: expected one of {", ".join(RESOURCE_KEYS)}')
                if key != 'partition':
                    try:
                        value = int(value)
                    except (TypeError, ValueError):
                        raise ValueError(f'resource {kind}.{key}={value!r}: expected a whole number') from None
                    if value < (key in ('nodes', 'time', 'cpus')):
                        raise ValueError(f'resource {kind}.{key}={value}: too small')
                for k in (KINDS if kind == 'all' else (kind,)):
                    kinds[k][key] = value
        return cls(kinds)


def executor_parameters(run: Run, resources: Resources, cluster: str, dependency: Optional[str] = None
                        ) -> Dict[str, Any]:
    """submitit ``update_parameters`` of a run's job.

    A training takes one task per GPU (each a process of mmengine's ``slurm``
    launcher); every other run is one task.

    Args:
        run: The run.
        resources: Per-kind resources.
        cluster: ``'slurm'`` or ``'local'``.
        dependency: Slurm dependency (``afterok:ID[:ID]``), if any.
    """
    r = resources.kinds[run.kind]
    tasks = max(1, r['gpus']) if run.kind == 'train' else 1
    params = dict(name=f'errseg-{run.kind}-{run.slug}'[:60], timeout_min=r['time'], nodes=r['nodes'],
                  tasks_per_node=tasks, cpus_per_task=r['cpus'])
    if r['gpus']:
        params['gpus_per_node'] = r['gpus']
    if cluster == 'slurm':
        if r.get('partition'):
            params['slurm_partition'] = r['partition']
        params['slurm_signal_delay_s'] = 120  # time to write a checkpoint before the job is requeued
        if dependency:
            params['slurm_additional_parameters'] = dict(dependency=dependency, kill_on_invalid_dep='yes')
    return params


def make_executor(folder: Path, cluster: str, run: Run, resources: Resources,
                  dependency: Optional[str] = None) -> submitit.AutoExecutor:
    """The submitit executor of one run's job (``folder``: its logs, ``%j`` the job id)."""
    ex = submitit.AutoExecutor(folder=folder, cluster=cluster)
    ex.update_parameters(**executor_parameters(run, resources, cluster, dependency))
    return ex


def jobs_dir(work_dir: Path) -> Path:
    return Path(work_dir) / 'jobs'


def job_state_file(work_dir: Path, key: str) -> Path:
    """What a job says about itself (``running`` with its pid and host, or ``failed`` with the error)."""
    return jobs_dir(work_dir) / 'runs' / f'{key[:16]}.json'


def read_jobs(work_dir: Path) -> Dict[str, Dict[str, Any]]:
    """Run key -> the job submitted for it (executor, job id, log paths, attempts)."""
    try:
        return json.loads((jobs_dir(work_dir) / 'jobs.json').read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return {}


class RunJob(submitit.helpers.Checkpointable):
    """One run as a submitit job: runs it unless it is recorded, records it (first task).

    Args:
        run: The run (its context pickled with it).
        ctx: The sweep's context (its store is re-read in the job).
        launcher: ``'slurm'`` for a training over several tasks, else ``'none'``.
        threads: torch CPU threads (``None``: torch's default).
    """

    def __init__(self, run: Run, ctx: ExecutionContext, launcher: str = 'none', threads: Optional[int] = None):
        self.run, self.launcher, self.threads = run, launcher, threads
        self.ctx = dataclasses.replace(ctx, store=None)

    def __call__(self) -> str:
        import torch

        from .distributed import leave_group, setup_launcher
        store = RecordStore(self.ctx.work_dir, accept_stale=self.ctx.accept_stale)
        if self.run.key in store:  # recorded meanwhile (e.g. before a requeue): never redone
            return 'recorded'
        if self.threads:
            torch.set_num_threads(self.threads)
        if self.launcher == 'slurm' and 'SLURM_JOB_ID' in os.environ:  # two trainings may share a node
            os.environ.setdefault('MASTER_PORT', str(20000 + int(os.environ['SLURM_JOB_ID']) % 20000))
        dist = setup_launcher(self.launcher)
        state = job_state_file(self.ctx.work_dir, self.run.key)
        if dist.is_main:
            write_json(state, dict(status='running', pid=os.getpid(), host=socket.gethostname(),
                                    job_id=os.environ.get('SLURM_JOB_ID') or os.environ.get('SUBMITIT_LOCAL_JOB_ID')))
        try:
            result, seconds = run_once(self.run, dataclasses.replace(self.ctx, store=store, dist=dist))
        except Exception as e:
            if dist.is_main:
                write_json(state, dict(status='failed', error=f'{type(e).__name__}: {e}', host=socket.gethostname()))
            raise
        finally:
            leave_group(dist)
        if dist.is_main:
            write_json(state, dict(status='done', host=socket.gethostname()))
        return f'{summarise_result(self.run.kind, result)} ({seconds:.1f} s)'

    def checkpoint(self, *args, **kwargs):
        """Requeued on preemption or timeout as it is: a training resumes from its last checkpoint."""
        return submitit.helpers.DelayedSubmission(self, *args, **kwargs)


def _alive(entry: Dict[str, Any], folder: Path) -> bool:
    """Whether a job submitted by an earlier command is still queued or running."""
    if entry['executor'] == 'slurm':
        state = submitit.SlurmJob(folder, entry['job_id']).state
        return state in ('PENDING', 'RUNNING', 'REQUEUED', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'UNKNOWN')
    if entry.get('host') != socket.gethostname():
        return False
    try:
        os.kill(int(entry['job_id']), 0)
    except (OSError, ValueError):
        return False
    return True


def submit_plan(plan: Plan, ctx: ExecutionContext, executor: str, resources: Resources,
                max_parallel: Optional[int] = None, threads: Optional[int] = None, retries: int = 1,
                poll_s: Optional[float] = None, echo: Callable[[str], None] = print) -> Outcome:
    """Submit every run of a plan that has no record and can run as one job; wait for them all.

    Args:
        plan: The plan.
        ctx: Run-time context (the jobs get a copy).
        executor: ``'slurm'`` or ``'submitit-local'``.
        resources: Per-kind resources.
        max_parallel: Jobs in flight at most (``None``: no limit on Slurm, 1 locally).
        threads: torch CPU threads in each job.
        retries: How often a job that was killed (no result: node failure, kill, out of memory) is
            submitted again; a run that raised is not.
        poll_s: Seconds between looks at the jobs (default: 1 locally, 60 on Slurm).
        echo: Where progress lines go.

    Returns:
        The :class:`~.executor.Outcome`.
    """
    cluster = 'slurm' if executor == 'slurm' else 'local'
    limit = max_parallel or (None if cluster == 'slurm' else 1)
    poll_s = poll_s if poll_s is not None else (60.0 if cluster == 'slurm' else 1.0)
    store = ctx.store
    out, todo = sweep_outcome(plan, store)
    folder = jobs_dir(ctx.work_dir) / '%j'
    registry = read_jobs(ctx.work_dir)
    in_flight: Dict[str, Any] = {}  # key -> submitit job (None: one an earlier command submitted)
    attempts: Dict[str, int] = {}
    for run in todo:  # jobs of an earlier command still in flight are waited for, not submitted again
        entry = registry.get(run.key)
        if entry and entry['executor'] == executor and _alive(entry, folder):
            in_flight[run.key] = submitit.SlurmJob(folder, entry['job_id']) if cluster == 'slurm' else None
            echo(f'    {run.label}: job {entry["job_id"]} of an earlier command is still in flight')
    pending = [r for r in todo if r.key not in in_flight]
    start = time.perf_counter()

    def submit(run: Run, dependency: Optional[str]) -> None:
        ex = make_executor(folder, cluster, run, resources, dependency)
        launcher = 'slurm' if cluster == 'slurm' and run.kind == 'train' else 'none'
        job = ex.submit(RunJob(run, ctx, launcher, threads))
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
            if job is not None and not job.done():
                continue
            if job is None and _alive(registry[key], folder):
                continue
            del in_flight[key]
            store.reload()
            run = plan.runs[key]
            if key in store:
                out.ran.append(key)
                echo(f'    done: {run.label}  ({store.relative(store.path(key))})')
                continue
            error = _job_error(job)
            killed = job is None or isinstance(error, submitit.core.utils.UncompletedJobError)
            if killed and attempts.get(key, 0) <= retries:
                echo(f'    job {registry[key]["job_id"]} of {run.label} ended without a result; submitting it again')
                pending.insert(0, run)
                continue
            out.failed[key] = f'{_first_line(error)} (log: {registry[key]["stderr"]})'
            echo(f'    FAILED: {run.label}: {out.failed[key]}')
        for run in list(pending):
            if limit is not None and len(in_flight) >= limit:
                break
            # locally, jobs share this machine: an efficiency run (it measures time) runs alone
            timing = cluster == 'local' and any(registry[k]['kind'] == 'profile' for k in in_flight)
            if timing or cluster == 'local' and run.kind == 'profile' and in_flight:
                continue
            missing = [d for d in run.deps if d not in store]
            failed = [d for d in missing if d in out.failed or d not in in_flight and d not in
                      {r.key for r in pending}]
            if failed:
                dep = plan.runs.get(failed[0])
                out.waiting[run.key] = f'waiting for {dep.label if dep else failed[0]}, which did not finish'
                pending.remove(run)
                continue
            if missing and not (cluster == 'slurm' and all(in_flight.get(d) is not None for d in missing)):
                continue  # locally: submitted once its inputs are recorded
            pending.remove(run)
            submit(run, 'afterok:' + ':'.join(in_flight[d].job_id for d in missing) if missing else None)
        if pending or in_flight:
            time.sleep(poll_s)
    store.reload()
    echo(f'jobs: {len(out.ran)} recorded, {len(out.failed)} failed in {time.perf_counter() - start:.0f} s '
         f'(logs under {store.relative(jobs_dir(ctx.work_dir))})')
    return out


def _job_error(job) -> Optional[BaseException]:
    if job is None:
        return submitit.core.utils.UncompletedJobError('the job of an earlier command ended without a record')
    try:
        return job.exception()
    except Exception as e:  # submitit raises when the job left no result at all
        return e


def _first_line(error: Optional[BaseException]) -> str:
    if error is None:
        return 'the job finished without writing its record'
    text = str(error).strip().splitlines()
    # submitit's FailedJobError holds the job's traceback: its last line is the error
    lines = [line for line in text if line.strip()]
    return f'{type(error).__name__}: {lines[-1] if lines else ""}'[:300]
