"""``errseg reproduce``: plan, show, run what is missing, and regenerate the paper's tables and plots."""
import argparse
import contextlib
import datetime
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch

from ..datasets.benchmarks import get_benchmark
from ..utils import environment_info, write_json
from .distributed import setup_launcher
from .executor import ExecutionContext, execute
from .paper_experiments import EXPERIMENTS, experiment_keys
from .planner import PlanOptions, make_plan
from .profile_run import profiler_missing
from .record_store import RecordStore
from .report import format_plan, format_status, record_notes
from .scales import FULL, SMOKE, ensure_smoke_data
from .submitit_executor import job_resources, submit_plan

__all__ = ['parse_checkpoints', 'provenance_info', 'reproduce']

#: What a sweep saves of its options (``--status`` re-plans the same sweep from them).
_SWEEP_FILE = 'sweep.json'
_SWEEP_KEYS = ('tables', 'data_root', 'checkpoints', 'smoke', 'datasets', 'cfg_options', 'executor')


def _is_torch_checkpoint(path: str) -> bool:
    """Whether a file is in torch's zip format (with ``data.pkl``) or its legacy pickle, without loading it."""
    if zipfile.is_zipfile(path):
        with contextlib.suppress(OSError, zipfile.BadZipFile), zipfile.ZipFile(path) as z:
            return any(n.endswith('data.pkl') for n in z.namelist())
        return False
    with open(path, 'rb') as f:
        return f.read(2) == b'\x80\x02'  # torch's legacy format: a pickle (protocol 2) of its magic number


def parse_checkpoints(values: Sequence[str]) -> Dict[str, str]:
    """Model size -> path from ``--checkpoint`` values: ``CKPT`` (ERR-Seg-B) or ``b=CKPT`` / ``l=CKPT``.

    Raises:
        FileNotFoundError: No such file.
        ValueError: A size given twice, or a file that is not a PyTorch checkpoint (checked without
            loading it: it may be GBs).
    """
    out: Dict[str, str] = {}
    fix = 'convert official weights with `errseg convert-official`'
    for value in values or ():
        size, sep, path = value.partition('=')
        if not sep or size.lower() not in ('b', 'l'):
            size, path = 'b', value
        size = size.lower()
        if size in out:
            raise ValueError(f'--checkpoint given twice for ERR-Seg-{size.upper()}: {out[size]!r} and {path!r}')
        if not Path(path).is_file():
            raise FileNotFoundError(f'--checkpoint {value!r}: no such file (give CKPT for ERR-Seg-B, or b=CKPT / '
                                    f'l=CKPT; {fix})')
        if not _is_torch_checkpoint(path):
            raise ValueError(f'--checkpoint {value!r}: not a PyTorch checkpoint (give a .pth saved by torch.save / '
                             f'mmengine; {fix})')
        out[size] = path
    return out


def _git_revision() -> Optional[str]:
    def git(*args: str) -> str:
        return subprocess.run(['git', *args], cwd=Path(__file__).resolve().parents[2], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
    try:
        dirty = git('status', '--porcelain', '--untracked-files=no')
        return git('rev-parse', 'HEAD') + (' (with uncommitted changes)' if dirty else '')
    except (OSError, subprocess.SubprocessError):  # no git, or not a checkout
        return None


def provenance_info(argv: List[str], options: Dict[str, Any], device: Optional[str] = None) -> Dict[str, Any]:
    """Command line (``argv`` after ``errseg``), resolved ``options``, code revision and environment of a sweep."""
    return dict(command=' '.join(['errseg', *argv]), options=options, revision=_git_revision(),
                started=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec='seconds'),
                environment=environment_info(device), python_executable=Path(sys.executable).name)


def _check(opts: argparse.Namespace) -> None:
    if opts.smoke and opts.data_root:
        raise ValueError('--smoke generates its own data under the work dir: drop --data-root')
    if opts.smoke and opts.checkpoints:
        raise ValueError('--smoke trains the tiny model itself; --checkpoint is for the full-size models: drop it')
    if opts.data_root and not Path(opts.data_root).is_dir():
        raise FileNotFoundError(f'--data-root {opts.data_root!r} is not a folder (prepare datasets into it with '
                                '`errseg prepare NAME --src RAW --dst DATA_ROOT`)')
    for flag, value, least in (('threads', opts.threads, 1), ('num-workers', opts.num_workers, 0),
                               ('max-parallel', opts.max_parallel, 1)):
        if value is not None and value < least:
            raise ValueError(f'--{flag} must be >= {least}, got {value}')
    if opts.executor != 'inline' and opts.launcher != 'none':
        raise ValueError(f'--executor {opts.executor} submits every run as its own job (trainings under the slurm '
                         f'launcher inside theirs): drop --launcher {opts.launcher}')
    if opts.status and not Path(opts.status, 'records').is_dir() and not Path(opts.status, _SWEEP_FILE).is_file():
        raise FileNotFoundError(f'--status {opts.status!r}: not the work dir of a sweep (no records/ or '
                                f'{_SWEEP_FILE} in it)')


def _saved_options(opts: argparse.Namespace) -> argparse.Namespace:
    """``--status WORK_DIR``: the options of the sweep that used it (what it saved), else the ones given."""
    saved = {}
    with contextlib.suppress(OSError, ValueError):
        saved = json.loads(Path(opts.status, _SWEEP_FILE).read_text(encoding='utf-8'))
    return argparse.Namespace(**{**vars(opts), 'work_dir': opts.status, 'dry_run': True,
                                 **{k: v for k, v in saved.items() if k in _SWEEP_KEYS}})


def reproduce(opts: argparse.Namespace, argv: Sequence[str] = (), echo=print, render=None) -> int:
    """Plan the runs of the selected tables, show the plan, run what is missing, write the results.

    Args:
        opts: The parsed arguments of ``errseg reproduce`` (``checkpoints`` as :func:`parse_checkpoints`
            returns them, ``cfg_options`` as a dict).
        argv: The command line (recorded in every record and in the results' provenance).
        render: Writes the results folder from (plan, store, outcome, out_dir, provenance, echo): the
            views (``mmseg_errseg.views.write_results``), a layer above the harness.

    Returns:
        Exit status: 0, or 1 if a run failed.
    """
    _check(opts)
    if opts.status:
        opts = _saved_options(opts)
    keys = experiment_keys(opts.tables)
    datasets = [get_benchmark(d).name for d in opts.datasets] if opts.datasets else None
    scale = SMOKE if opts.smoke else FULL
    work_dir = Path(opts.work_dir or ('work_dirs/reproduce-smoke' if opts.smoke else 'work_dirs/reproduce'))
    out_dir = Path(opts.out or ('results/smoke' if opts.smoke else 'results'))
    if threads := opts.threads or scale.torch_threads:
        torch.set_num_threads(threads)
    resources = job_resources(opts.smoke, opts.resources, opts.partition)
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
        scale, data_root, dict(opts.checkpoints), datasets, dict(opts.cfg_options),
        can_train=dist.cuda or opts.executor == 'slurm', profiler_missing=profiler_missing(), device=device))
    store = RecordStore(work_dir, accept_stale=opts.accept_stale)
    if opts.status:
        echo(format_status(plan, store))
        return 0
    if dist.is_main:
        echo('\n'.join(filter(None, [format_plan(plan, store), record_notes(plan, store)])))
        echo(f'work dir: {work_dir}   results: {out_dir}   (planned in {time.perf_counter() - t0:.1f} s)')
    if opts.dry_run:
        return 0
    if dist.is_main:
        write_json(work_dir / _SWEEP_FILE, {k: getattr(opts, k) for k in _SWEEP_KEYS})
    provenance = provenance_info(list(argv), dict(
        tables=keys, scale=scale.name, datasets=datasets, launcher=opts.launcher, executor=opts.executor,
        processes=dist.world_size, torch_threads=torch.get_num_threads(),
        checkpoints={k: Path(v).name for k, v in opts.checkpoints.items()},
        cfg_options=opts.cfg_options, work_dir=str(work_dir), out=str(out_dir)), device)
    ctx = ExecutionContext(work_dir, data_root, store, dist, device, provenance=provenance, debug=opts.debug,
                           num_workers=0 if opts.smoke and opts.num_workers is None else opts.num_workers,
                           train_log_level='ERROR' if opts.smoke else None, accept_stale=opts.accept_stale)
    outcome = execute(plan, ctx, echo) if opts.executor == 'inline' else \
        submit_plan(plan, ctx, opts.executor, resources, opts.max_parallel, threads=threads, echo=echo)
    if not dist.is_main:
        return 0
    if render is not None:
        render(plan, store, outcome, out_dir, provenance, echo)
    echo(f'done in {time.perf_counter() - t0:.0f} s: {len(outcome.ran)} runs now, {len(outcome.recorded)} already '
         f'recorded, {len(outcome.blocked)} cannot run with these options, {len(outcome.failed)} failed')
    return 1 if outcome.failed else 0
