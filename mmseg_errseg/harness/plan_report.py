"""The plan as the user sees it: what will run, what is recorded, what cannot run and how to enable it."""
from collections import Counter, OrderedDict
from typing import Dict, List

from .planner import Plan
from .record_store import RecordStore
from .runs import KINDS

__all__ = ['format_plan', 'experiment_runs']

_KIND_NAMES = {'train': ('training', 'trainings'), 'eval': ('evaluation', 'evaluations'),
               'analysis': ('analysis', 'analyses'), 'profile': ('efficiency run', 'efficiency runs')}


def experiment_runs(plan: Plan) -> Dict[str, List[str]]:
    """Per experiment, the keys of the runs it needs (its cells' runs and their dependencies)."""
    out: Dict[str, List[str]] = OrderedDict((e.key, []) for e in plan.experiments)
    for (exp_key, _, _), cell in plan.cells.items():
        stack = list(cell.runs)
        while stack:
            key = stack.pop()
            if key not in out[exp_key]:
                out[exp_key].append(key)
                stack.extend(plan.runs[key].deps)
    return out


def _titles(titles: List[str]) -> str:
    """'Tables 3, 4, 6, Figure 1' from ['Table 3', 'Table 4', 'Table 6', 'Figure 1']."""
    parts = []
    for word in ('Table', 'Figure'):
        nums = [t.split()[1] for t in titles if t.startswith(word + ' ')]
        if nums:
            parts.append(f'{word}{"s" if len(nums) > 1 else ""} {", ".join(nums)}')
    return '; '.join(parts)


def format_plan(plan: Plan, store: RecordStore) -> str:
    """The plan, per experiment and per kind, with every reason a run cannot run.

    Args:
        plan: The plan.
        store: Records of runs already finished.

    Returns:
        Printable text.
    """
    scale = plan.options.scale
    lines = [f'Plan ({scale.name} scale' + (': SMOKE, the tiny model on generated data with toy schedules; '
                                            'efficiency at full size' if scale.smoke else '') + ')']
    header = f'  {"":<10} {"runs":>5} {"recorded":>9} {"to run":>7} {"cannot run":>11}'
    lines.append(header)
    by_exp = experiment_runs(plan)
    for exp in plan.experiments:
        keys = by_exp[exp.key]
        done = sum(k in store for k in keys)
        blocked = sum(k not in store and bool(plan.runs[k].blocked) for k in keys)
        lines.append(f'  {exp.title:<10} {len(keys):>5} {done:>9} {len(keys) - done - blocked:>7} {blocked:>11}')
    total = Counter()
    for run in plan.runs.values():
        state = 'recorded' if run.key in store else 'blocked' if run.blocked else 'todo'
        total[(run.kind, state)] += 1
    lines.append('  ' + ', '.join(
        f'{_KIND_NAMES[k][1]}: {total[(k, "recorded")]} recorded, {total[(k, "todo")]} to run'
        + (f', {total[(k, "blocked")]} cannot run' if total[(k, "blocked")] else '')
        for k in KINDS if any(total[(k, s)] for s in ('recorded', 'todo', 'blocked'))))

    reasons: Dict[str, Counter] = OrderedDict()
    users: Dict[str, set] = {}
    for run in plan.ordered():
        if run.key in store or not run.blocked:
            continue
        for reason in dict.fromkeys(run.reasons):
            reasons.setdefault(reason, Counter())[run.kind] += 1
            users.setdefault(reason, set()).update(run.uses)
    if reasons:
        lines.append('Cannot run with these options (and what would enable it):')
        order = [e.title for e in plan.experiments]
        for reason, kinds in reasons.items():
            count = ', '.join(f'{n} {_KIND_NAMES[k][n > 1]}' for k, n in kinds.items())
            tables = _titles([t for t in order if t in users[reason]])
            lines.append(f'  - {count} ({tables}): {reason}')
    design = OrderedDict()
    for exp in plan.experiments:
        for v in exp.variants:
            if not v.measured:
                design.setdefault(v.paper_only or v.unsupported, []).append(f'{exp.title} "{v.label}"')
    if design:
        lines.append('Not measured (shown with the paper\'s figures only):')
        for reason, rows in design.items():
            shown = ', '.join(rows[:4]) + (f' and {len(rows) - 4} more' if len(rows) > 4 else '')
            lines.append(f'  - {shown}: {reason}')
    return '\n'.join(lines)
