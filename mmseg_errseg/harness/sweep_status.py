"""``errseg reproduce --status``: where every run of a sweep stands, from its records and its jobs."""
import json
from pathlib import Path
from typing import List

from .planner import Plan
from .record_store import RecordStore
from .submitit_executor import _alive, job_state_file, jobs_dir, read_jobs

__all__ = ['STATES', 'sweep_status', 'format_status']

#: What a run can be, as the table says it.
STATES = ('recorded', 'recorded (marked)', 'running', 'queued', 'failed', 'stale', 'cannot run', 'not run')


def _job_state(work_dir: Path, key: str, entry: dict) -> tuple:
    folder = jobs_dir(work_dir) / '%j'
    try:
        said = json.loads(job_state_file(work_dir, key).read_text(encoding='utf-8'))
    except (OSError, ValueError):
        said = {}
    job = f'{entry["executor"]} {entry["job_id"]}'
    try:
        alive = _alive(entry, folder)
    except Exception:  # no scheduler to ask (e.g. looking from another machine): what the job wrote
        alive = said.get('status') == 'running'
    if said.get('status') == 'done':  # its record was made, then became stale
        return None, job, ''
    if said.get('status') == 'failed':
        return 'failed', job, f'{said.get("error", "")} (log: {entry["stderr"]})'
    if alive:
        return ('running' if said.get('status') == 'running' else 'queued'), job, f'log: {entry["stdout"]}'
    return 'failed', job, f'the job ended without a record (log: {entry["stderr"]})'


def sweep_status(plan: Plan, store: RecordStore) -> List[dict]:
    """One row per planned run: ``run``, ``kind``, ``state`` (one of :data:`STATES`), ``job``, ``detail``.

    Args:
        plan: The sweep's plan.
        store: Its records (stale ones count as ``stale`` unless the store accepts them).
    """
    jobs = read_jobs(store.work_dir)
    rows = []
    for run in plan.ordered():
        state, job, detail = 'not run', '', ''
        entry = jobs.get(run.key)
        if run.key in store:
            mark = store.mark(run.key)
            state, detail = ('recorded (marked)', mark) if mark else ('recorded', store.relative(store.path(run.key)))
        elif entry is not None and _job_state(store.work_dir, run.key, entry)[0]:
            state, job, detail = _job_state(store.work_dir, run.key, entry)
        elif store.state(run.key) is not None:
            state, detail = 'stale', store.state(run.key).why
        elif run.blocked:
            state, detail = 'cannot run', run.blocked
        if entry is not None and not job:
            job = f'{entry["executor"]} {entry["job_id"]}'
        rows.append(dict(run=run.label, kind=run.kind, state=state, job=job, detail=detail))
    return rows


def format_status(rows: List[dict]) -> str:
    """The rows as a table, then a count per state."""
    import pandas as pd
    from collections import Counter
    frame = pd.DataFrame(rows, columns=['run', 'kind', 'state', 'job', 'detail'])
    counts = Counter(frame['state'])
    summary = ', '.join(f'{counts[s]} {s}' for s in STATES if counts[s])
    return frame.to_string(index=False, max_colwidth=90) + f'\n{len(frame)} runs: {summary}'
