"""Run a plan in this process (``--executor inline``): skip what is recorded or cannot run, run the rest."""
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from .distributed import DistInfo, leave_group
from .planner import Plan
from .record_store import RecordStore
from .runs import Run

__all__ = ['ExecutionContext', 'Outcome', 'execute', 'run_once', 'summarise_result', 'sweep_outcome',
           'waiting_for', 'why_missing']


@dataclass
class ExecutionContext:
    """What runs need at run time (nothing here enters a record key); ``provenance``: the command and
    environment stored in every record; ``None`` levels and workers: the config's or benchmark's."""
    work_dir: Path
    data_root: Optional[str]
    store: RecordStore
    dist: DistInfo = field(default_factory=DistInfo)
    device: str = 'cpu'
    num_workers: Optional[int] = None
    train_log_level: Optional[str] = None
    provenance: Dict[str, Any] = field(default_factory=dict)
    debug: bool = False
    accept_stale: bool = False


@dataclass
class Outcome:
    """What a sweep did, by run key."""
    ran: List[str] = field(default_factory=list)
    recorded: List[str] = field(default_factory=list)
    blocked: List[str] = field(default_factory=list)
    failed: Dict[str, str] = field(default_factory=dict)
    waiting: Dict[str, str] = field(default_factory=dict)
    stale: Dict[str, str] = field(default_factory=dict)


def why_missing(plan: Plan, outcome: Optional[Outcome]) -> Callable[[str], str]:
    """A function: run key -> why that run has no record (failed, waiting, stale, blocked, not run)."""
    o = outcome or Outcome()

    def reason(key: str) -> str:
        why = [f'failed: {o.failed[key]}' if key in o.failed else o.waiting.get(key), o.stale.get(key)]
        return '; '.join(filter(None, why)) or plan.runs[key].blocked or 'not run yet (run the same command again)'
    return reason


def waiting_for(plan: Plan, key: str) -> str:
    """Why a run waits: the run ``key`` it needs did not finish."""
    return f'waiting for {plan.runs[key].label}, which did not finish'


def run_once(run: Run, ctx: ExecutionContext) -> Tuple[Dict[str, Any], float]:
    """Run one run and record it (first process only); returns (result, seconds)."""
    ctx.store.code(run.kind)  # the record is stamped with the code the run starts with
    t0 = time.perf_counter()
    result = _dispatch(run, ctx)
    seconds = time.perf_counter() - t0
    if ctx.dist.is_main:
        ctx.store.write(run, result, seconds, ctx.provenance)
    return result, seconds


def _dispatch(run: Run, ctx: ExecutionContext) -> Dict[str, Any]:
    if run.kind == 'train':
        from .train_run import run_training
        return run_training(run, ctx.work_dir, ctx.data_root, ctx.dist, ctx.train_log_level)
    if run.kind == 'eval':
        from .eval_run import run_evaluation
        return run_evaluation(run, ctx.work_dir, ctx.store, ctx.data_root, ctx.num_workers)
    if run.kind == 'profile':
        from .profile_run import run_profile
        return run_profile(run, ctx.device)
    from .analysis_run import run_analysis
    return run_analysis(run, ctx.work_dir, ctx.data_root)


def summarise_result(kind: str, result: Dict[str, Any]) -> str:
    """A one-line summary of a run's result."""
    try:
        if kind == 'train':
            loss = result.get('final_loss')
            return f'{result["iterations"]} iterations' + (f', final loss {loss:.4g}' if loss is not None else '')
        if kind == 'eval':
            m = result['metrics']
            return f'mIoU {m["mIoU"]:.2f}, classes/image: {m.get("mean_overlap_classes", float("nan")):.2f} ' \
                   f'recovered of {m.get("mean_gt_classes", float("nan")):.2f}'
        if kind == 'profile':
            return f'{result["flops"]["total"] / 1e9:.1f} GFLOPs, latency {result["latency"]["median_ms"]:.0f} ms'
        if 'rows' in result:
            return f'{result["rows"][0]["avg_classes"]:.2f} classes per image'
        return f'{len(result.get("table2", []))} vocabularies compared'
    except (KeyError, TypeError, ValueError, IndexError):
        return 'recorded'


def sweep_outcome(plan: Plan, store: RecordStore) -> Tuple[Outcome, List[Run]]:
    """What a sweep starts from: the recorded and blocked runs, the stale records, and the runs to do."""
    runs, stale = plan.ordered(), store.stale()
    missing = [r for r in runs if r.key not in store]
    out = Outcome(recorded=[r.key for r in runs if r.key in store], blocked=[r.key for r in missing if r.blocked],
                  stale={r.key: stale[r.key] for r in missing if r.key in stale})
    return out, [r for r in missing if not r.blocked]


def execute(plan: Plan, ctx: ExecutionContext, echo: Callable[[str], None] = print) -> Outcome:
    """Run every run of a plan that has no record and can run, recording each as it finishes: trainings in
    every process of a launcher, then the rest in the first one. A run that fails is reported and the sweep
    goes on; runs that need it wait for the next sweep."""
    store, main = ctx.store, ctx.dist.is_main
    out, todo = sweep_outcome(plan, store)
    say = echo if main else (lambda _: None)
    elapsed: Dict[str, List[float]] = {}
    start = time.perf_counter()
    for i, run in enumerate(todo, 1):
        if run.kind != 'train':  # trainings come first: the other processes stop after them
            leave_group(ctx.dist)  # (a no-op once the group is left)
            if not main:
                return out
        if missing := [d for d in run.deps if d not in store and d not in out.ran]:
            out.waiting[run.key] = waiting_for(plan, missing[0])
            continue
        eta = _eta(elapsed, todo[i - 1:])
        say(f'[{i}/{len(todo)}] {run.label}  (elapsed {_fmt(time.perf_counter() - start)}{eta})')
        try:
            result, seconds = run_once(run, ctx)
        except Exception as e:  # one run's failure (not an interruption) must not lose the sweep: report, go on
            out.failed[run.key] = f'{type(e).__name__}: {e}'
            say(f'    FAILED: {type(e).__name__}: {e}')
            if ctx.debug:
                traceback.print_exc(file=sys.stderr)
            continue
        elapsed.setdefault(run.kind, []).append(seconds)
        if main:
            say(f'    {summarise_result(run.kind, result)}  ({seconds:.1f} s; {store.relative(store.path(run.key))})')
        out.ran.append(run.key)
    leave_group(ctx.dist)
    return out


def _fmt(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f'{m}:{s:02d}'


def _eta(elapsed: Dict[str, List[float]], remaining: List[Run]) -> str:
    if not elapsed:
        return ''
    overall = sum(map(sum, elapsed.values())) / sum(map(len, elapsed.values()))
    total = sum(sum(elapsed[r.kind]) / len(elapsed[r.kind]) if r.kind in elapsed else overall for r in remaining)
    return f', about {_fmt(total)} left'
