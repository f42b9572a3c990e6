"""``errseg reproduce``: plan, show, run what is missing, and regenerate the paper's tables and plots."""
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

__all__ = ['ReproduceOptions', 'parse_checkpoints', 'reproduce']


@dataclass
class ReproduceOptions:
    """Options of a sweep (see ``errseg reproduce --help``)."""
    tables: str = 'all'
    data_root: Optional[str] = None
    checkpoints: Dict[str, str] = field(default_factory=dict)
    work_dir: Optional[str] = None
    out: Optional[str] = None
    launcher: str = 'none'
    smoke: bool = False
    dry_run: bool = False
    datasets: Optional[List[str]] = None
    threads: Optional[int] = None
    num_workers: Optional[int] = None
    cfg_options: Dict[str, Any] = field(default_factory=dict)
    debug: bool = False


def parse_checkpoints(values: Sequence[str]) -> Dict[str, str]:
    """``--checkpoint`` values: ``CKPT`` (ERR-Seg-B) or ``b=CKPT`` / ``l=CKPT``.

    Args:
        values: The option's values.

    Returns:
        Model size -> path.
    """
    out: Dict[str, str] = {}
    for value in values or ():
        size, sep, path = value.partition('=')
        if not sep or size.lower() not in ('b', 'l'):
            size, path = 'b', value
        size = size.lower()
        if size in out:
            raise ValueError(f'--checkpoint given twice for ERR-Seg-{size.upper()}: {out[size]!r} and {path!r}')
        if not Path(path).is_file():
            raise FileNotFoundError(f'--checkpoint {value!r}: no such file (give CKPT for ERR-Seg-B, or b=CKPT / '
                                    'l=CKPT; convert official weights with `errseg convert-official`)')
        out[size] = path
    return out


def _check(opts: ReproduceOptions) -> None:
    if opts.smoke and opts.data_root:
        raise ValueError('--smoke generates its own data under the work dir: drop --data-root')
    if opts.smoke and opts.checkpoints:
        raise ValueError('--smoke trains the tiny model itself; --checkpoint is for the full-size models: drop it')
    if opts.data_root and not Path(opts.data_root).is_dir():
        raise FileNotFoundError(f'--data-root {opts.data_root!r} is not a folder (prepare datasets into it with '
                                '`errseg prepare NAME --src RAW --dst DATA_ROOT`)')
    if opts.threads is not None and opts.threads < 1:
        raise ValueError(f'--threads must be >= 1, got {opts.threads}')
    if opts.num_workers is not None and opts.num_workers < 0:
        raise ValueError(f'--num-workers must be >= 0, got {opts.num_workers}')


def reproduce(opts: ReproduceOptions, argv: Sequence[str] = (), echo=print, render=None) -> int:
    """Plan the runs of the selected tables, show the plan, run what is missing, write the results.

    Args:
        opts: The options.
        argv: The command line (recorded in every record and in the results' provenance).
        echo: Where progress goes.
        render: Writes the results folder from (plan, store, outcome, out_dir, provenance, echo): the
            views (``mmseg_errseg.views.write_results``), a layer above the harness.

    Returns:
        Exit status: 0, or 1 if a run failed.
    """
    import torch

    from ..datasets.benchmarks import get_benchmark
    from .distributed import setup_launcher
    from .executor import ExecutionContext, execute
    from .paper_experiments import EXPERIMENTS, experiment_keys
    from .plan_report import format_plan
    from .planner import PlanOptions, make_plan
    from .profile_run import profiler_missing
    from .record_store import RecordStore
    from .results import provenance_info
    from .scales import FULL, SMOKE
    from .smoke_data import ensure_smoke_data

    _check(opts)
    keys = experiment_keys(opts.tables)
    datasets = [get_benchmark(d).name for d in opts.datasets] if opts.datasets else None
    scale = SMOKE if opts.smoke else FULL
    work_dir = Path(opts.work_dir or ('work_dirs/reproduce-smoke' if opts.smoke else 'work_dirs/reproduce'))
    out_dir = Path(opts.out or ('results/smoke' if opts.smoke else 'results'))
    threads = opts.threads or scale.torch_threads
    if threads:
        torch.set_num_threads(threads)
    dist = setup_launcher(opts.launcher)
    data_root = str(work_dir / 'data') if opts.smoke else opts.data_root
    if opts.smoke and not opts.dry_run:
        if dist.is_main and ensure_smoke_data(Path(data_root)):
            echo(f'generated the smoke datasets under {data_root}')
        if dist.distributed:
            torch.distributed.barrier()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    t0 = time.perf_counter()
    plan = make_plan([EXPERIMENTS[k] for k in keys], PlanOptions(
        scale, data_root, dict(opts.checkpoints), datasets, dict(opts.cfg_options), can_train=dist.cuda,
        profiler_missing=profiler_missing(), device=device))
    store = RecordStore(work_dir)
    if dist.is_main:
        echo(format_plan(plan, store))
        echo(f'work dir: {work_dir}   results: {out_dir}   (planned in {time.perf_counter() - t0:.1f} s)')
    if opts.dry_run:
        return 0
    provenance = provenance_info(list(argv), dict(
        tables=keys, scale=scale.name, datasets=datasets, launcher=opts.launcher, processes=dist.world_size,
        torch_threads=torch.get_num_threads(), checkpoints={k: Path(v).name for k, v in opts.checkpoints.items()},
        cfg_options=opts.cfg_options, work_dir=str(work_dir), out=str(out_dir)), device)
    ctx = ExecutionContext(work_dir, data_root, store, dist, device, num_workers=0 if opts.smoke and
                           opts.num_workers is None else opts.num_workers,
                           train_log_level='ERROR' if opts.smoke else None, provenance=provenance, debug=opts.debug)
    outcome = execute(plan, ctx, echo)
    if not dist.is_main:
        return 0
    if render is not None:
        render(plan, store, outcome, out_dir, provenance, echo)
    echo(f'done in {time.perf_counter() - t0:.0f} s: {len(outcome.ran)} runs now, {len(outcome.recorded)} already '
         f'recorded, {len(outcome.blocked)} cannot run with these options, {len(outcome.failed)} failed')
    return 1 if outcome.failed else 0
