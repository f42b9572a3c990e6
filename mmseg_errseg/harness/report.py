"""What ``errseg reproduce`` shows of a sweep: the plan (``--dry-run``) and where each run stands (``--status``)."""
from collections import Counter
from typing import Dict, List

import pandas as pd

from .planner import Plan, experiment_runs
from .record_store import RecordStore
from .runs import KINDS
from .submitit_executor import job_state, read_jobs

__all__ = ['STATES', 'format_plan', 'record_notes', 'format_status']

_KIND_NAMES = {'train': ('training', 'trainings'), 'eval': ('evaluation', 'evaluations'),
               'analysis': ('analysis', 'analyses'), 'profile': ('efficiency run', 'efficiency runs')}
#: What a run can be in ``--status``.
STATES = ('recorded', 'recorded (marked)', 'running', 'queued', 'unknown', 'failed', 'stale', 'cannot run', 'not run')


def _state(run, store: RecordStore) -> str:
    return 'recorded' if run.key in store else 'blocked' if run.blocked else 'todo'


def _titles(titles: List[str]) -> str:
    """'Tables 3, 4; Figure 1' from ['Table 3', 'Table 4', 'Figure 1']."""
    nums = {word: [t.split()[1] for t in titles if t.startswith(word + ' ')] for word in ('Table', 'Figure')}
    return '; '.join(f'{word}{"s" if len(n) > 1 else ""} {", ".join(n)}' for word, n in nums.items() if n)


def format_plan(plan: Plan, store: RecordStore) -> str:
    """The plan as text: runs per experiment and per kind, and every reason a run cannot run."""
    scale = plan.options.scale
    lines = [f'Plan ({scale.name} scale' + (': SMOKE, the tiny model on generated data with toy schedules; '
                                            'efficiency at full size' if scale.smoke else '') + ')',
             f'  {"":<10} {"runs":>5} {"recorded":>9} {"to run":>7} {"cannot run":>11}']
    for exp in plan.experiments:
        states = Counter(_state(plan.runs[k], store) for k in experiment_runs(plan)[exp.key])
        lines.append(f'  {exp.title:<10} {sum(states.values()):>5} {states["recorded"]:>9} {states["todo"]:>7} '
                     f'{states["blocked"]:>11}')
    total = Counter((r.kind, _state(r, store)) for r in plan.runs.values())
    lines.append('  ' + ', '.join(
        f'{_KIND_NAMES[k][1]}: {total[k, "recorded"]} recorded, {total[k, "todo"]} to run'
        + (f', {total[k, "blocked"]} cannot run' if total[k, 'blocked'] else '')
        for k in KINDS if any(kind == k for kind, _ in total)))
    reasons, users = {}, {}  # reason -> the runs it blocks per kind, and the experiments that need them
    for run in plan.ordered():
        for reason in dict.fromkeys(run.reasons if _state(run, store) == 'blocked' else ()):
            reasons.setdefault(reason, Counter())[run.kind] += 1
            users.setdefault(reason, set()).update(run.uses)
    if reasons:
        lines.append('Cannot run with these options (and what would enable it):')
        for reason, kinds in reasons.items():
            count = ', '.join(f'{n} {_KIND_NAMES[k][n > 1]}' for k, n in kinds.items())
            tables = _titles([e.title for e in plan.experiments if e.title in users[reason]])
            lines.append(f'  - {count} ({tables}): {reason}')
    design: Dict[str, List[str]] = {}
    for exp, v in ((e, v) for e in plan.experiments for v in e.variants if not v.measured):
        design.setdefault(v.paper_only or v.unsupported, []).append(f'{exp.title} "{v.label}"')
    if design:
        lines.append('Not measured (shown with the paper\'s figures only):')
        for reason, rows in design.items():
            shown = ', '.join(rows[:4]) + (f' and {len(rows) - 4} more' if len(rows) > 4 else '')
            lines.append(f'  - {shown}: {reason}')
    return '\n'.join(lines)


def record_notes(plan: Plan, store: RecordStore) -> str:
    """The plan's records that are not current: stale ones (run again) and marked ones (shown marked)."""
    lines = []
    if stale := {k: why for k, why in store.stale().items() if k in plan.runs}:
        verb = 'shown marked: --accept-stale' if store.accept_stale else 'run again; --accept-stale shows them marked'
        lines.append(f'Stale records ({len(stale)}, {verb}):')
        lines += [f'  - {n} runs: {why}' for why, n in Counter(stale.values()).items()]
    if marked := Counter(store.mark(k) for k in plan.runs if k not in stale and store.mark(k)):
        lines.append(f'Records shown marked ({sum(marked.values())}):')
        lines += [f'  - {n} runs: {why}' for why, n in marked.items()]
    return '\n'.join(lines)


def format_status(plan: Plan, store: RecordStore) -> str:
    """``--status``: per planned run its state (one of :data:`STATES`; a job not recorded yet is asked where it
    stands), job and detail, as a table; then a count per state."""
    jobs = read_jobs(store.work_dir)
    rows = []
    for run in plan.ordered():
        entry = jobs.get(run.key)
        state, detail = job_state(entry, store.work_dir) if entry and run.key not in store else ('not run', '')
        if run.key in store:
            mark = store.mark(run.key)
            state, detail = ('recorded (marked)', mark) if mark else ('recorded', store.relative(store.path(run.key)))
        elif state not in ('running', 'queued', 'unknown') and store.state(run.key) is not None:
            state, detail = 'stale', store.state(run.key).why
        elif state == 'not run' and run.blocked:
            state, detail = 'cannot run', run.blocked
        job = f'{entry["executor"]} {entry["job_id"]}' if entry else ''
        rows.append(dict(run=run.label, kind=run.kind, state=state, job=job, detail=detail))
    frame = pd.DataFrame(rows, columns=['run', 'kind', 'state', 'job', 'detail'])
    counts = Counter(frame['state'])
    summary = ', '.join(f'{counts[s]} {s}' for s in STATES if counts[s])
    return frame.to_string(index=False, max_colwidth=90) + f'\n{len(frame)} runs: {summary}'
