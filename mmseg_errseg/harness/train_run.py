"""Training runs: a variant's resolved config trained with mmengine's Runner, resumable.

Each training has its own work dir (named by its run key); the Runner resumes from the last checkpoint
there, bit-identically (``RandomStateHook`` keeps the random states in the checkpoints). The config's
total batch (the paper's 4) is kept across processes: each of N loads batch / N images.
"""
import copy
import json
import os
import time
from pathlib import Path
from typing import Any, Dict, Optional

from ..models.unused_parameters import has_unused_parameters
from ..utils import write_json, write_text
from .distributed import DistInfo
from .fingerprint import code_fingerprint
from .runs import Run

__all__ = ['prepare_train_config', 'run_training']


def prepare_train_config(cfg, work_dir: Path, data_root: Optional[str], dist: DistInfo,
                         log_level: Optional[str] = None):
    """A copy of a resolved training config, runnable in ``work_dir`` on ``dist``'s processes: data root,
    launcher, per-process batch, resumption, log level."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = str(work_dir)
    # from the last checkpoint in work_dir, if any (asked only then: mmengine prints a line when there is none)
    cfg.resume = (work_dir / 'last_checkpoint').is_file()
    cfg.load_from = None
    if not any(h.get('type') == 'RandomStateHook' for h in cfg.get('custom_hooks', [])):  # our runtime has it
        cfg.custom_hooks = [*cfg.get('custom_hooks', []), dict(type='RandomStateHook')]
    cfg.launcher = dist.launcher
    cfg.experiment_name = work_dir.name  # one logger and one visualizer per training
    if isinstance(cfg.get('visualizer'), dict):
        cfg.visualizer.pop('name', None)
    if log_level:
        cfg.log_level = log_level
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader) and data_root is not None:
            cfg[loader].dataset.data_root = str(data_root)
    total = int(cfg.train_dataloader.batch_size)
    if total % dist.world_size:
        raise ValueError(f'the config\'s batch of {total} images cannot be split over {dist.world_size} '
                         f'processes: use a number of processes that divides {total}')
    cfg.train_dataloader.batch_size = total // dist.world_size
    if dist.distributed:
        # Only some switches leave parameters out of the graph (DDP's search for them costs every step);
        # on CPU the module must not be given device ids.
        wrapper = dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                       find_unused_parameters=has_unused_parameters(cfg.model))
        if not dist.cuda:
            wrapper['device_ids'] = None
        cfg.model_wrapper_cfg = wrapper
    return cfg


def _set_aside_other_code(train_dir: Path) -> None:
    """Never resume checkpoints of other code: a training dir made by it is renamed, and this one stamped."""
    now = code_fingerprint('train')['sha256']
    stamp = train_dir / 'code.json'
    try:
        made_by = json.loads(stamp.read_text(encoding='utf-8'))['sha256']
    except (OSError, ValueError, KeyError, TypeError):
        made_by = None
    if made_by != now and train_dir.is_dir() and any(train_dir.iterdir()):
        train_dir.rename(train_dir.with_name(f'{train_dir.name}.stale-{(made_by or "unknown")[:12]}-{time.time():.0f}'))
    if made_by != now:
        write_json(stamp, dict(sha256=now))


def run_training(run: Run, work_dir: Path, data_root: Optional[str], dist: DistInfo,
                 log_level: Optional[str] = None) -> Dict[str, Any]:
    """Train (or resume) a run's model in ``<work_dir>/train/<slug>-<key>``; returns what its record keeps.

    Returns:
        ``checkpoint`` and ``config`` (relative to ``work_dir``), the iterations done, the final loss,
        the processes and their batch, and the checkpoint an interrupted training resumed from.
    """
    from mmengine.runner import Runner, find_latest_checkpoint

    import mmseg_errseg.engine  # noqa: F401  (registers RandomStateHook)

    train_dir = work_dir / 'train' / f'{run.slug}-{run.key[:16]}'
    if dist.is_main:
        _set_aside_other_code(train_dir)
    if dist.distributed:
        import torch.distributed
        torch.distributed.barrier()
    cfg = prepare_train_config(run.context['config'], train_dir, data_root, dist, log_level)
    resumed_from = find_latest_checkpoint(str(train_dir)) if cfg.resume else None
    runner = Runner.from_cfg(cfg)
    config_path = train_dir / 'config.py'
    if dist.is_main:  # the config as one process runs it: what evaluations load
        write_text(config_path, prepare_train_config(run.context['config'], train_dir, data_root, DistInfo(),
                                                     log_level).pretty_text)
    runner.train()
    checkpoint = train_dir / f'iter_{int(cfg.train_cfg.max_iters)}.pth'
    if dist.is_main and not checkpoint.is_file():
        raise RuntimeError(f'training finished without its final checkpoint {checkpoint} (is the CheckpointHook '
                           'disabled in the config?)')
    loss = runner.message_hub.get_scalar('train/loss') if 'train/loss' in runner.message_hub.log_scalars else None
    return dict(checkpoint=str(checkpoint.relative_to(work_dir)), config=str(config_path.relative_to(work_dir)),
                iterations=int(runner.iter), final_loss=float(loss.current()) if loss is not None else None,
                processes=dist.world_size, batch_per_process=int(cfg.train_dataloader.batch_size),
                total_batch=int(cfg.train_dataloader.batch_size) * dist.world_size, launcher=dist.launcher,
                resumed_from=os.path.relpath(resumed_from, work_dir) if resumed_from else None)
