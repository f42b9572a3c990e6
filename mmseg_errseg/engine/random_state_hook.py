"""Random states in checkpoints, so a resumed training continues exactly as an uninterrupted one.

mmengine's checkpoints hold weights, optimizer, schedulers, scaler and iteration, and its loop replays the
sampler to the resumed position; but a resumed run's random augmentations, drop path and sampling start
from the seed. This hook saves every process's python, numpy and torch (CPU, CUDA) random states and
restores them once the loop has replayed the trained batches, just before it draws the first new one.
"""
import random
from typing import Any, Dict, List

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmseg.registry import HOOKS

__all__ = ['RandomStateHook']

def _capture() -> Dict[str, Any]:
    return dict(python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state(),
                cuda=torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [])


def _restore(states: Dict[str, Any]) -> None:
    random.setstate(states['python'])
    np.random.set_state(states['numpy'])
    torch.set_rng_state(states['torch'])
    if states['cuda'] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


def _restore_after(iterator, skip: int, states: Dict[str, Any]):
    """The loop's dataloader iterator, restoring random states after the first ``skip`` batches."""
    for _ in range(skip):
        yield next(iterator)
    _restore(states)
    yield from iterator


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save the random states of every process in checkpoints (``IterBasedTrainLoop``); restore them on resume.

    Captured after each iteration, before the ``CheckpointHook`` saves (gathered from every process at the
    iterations it saves: only the first writes checkpoints); each process restores its own.
    """
    priority = 'LOW'  # after the other hooks of an iteration, before CheckpointHook (VERY_LOW)

    def __init__(self):
        self._states: List[Dict[str, Any]] = []
        self._resumed: List[Dict[str, Any]] = []

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if get_world_size() == 1:
            self._states = [_capture()]
            return
        ckpt = next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
        if ckpt is not None and (self.every_n_train_iters(runner, ckpt.interval)
                                 or ckpt.save_last and self.is_last_train_iter(runner)):
            self._states = all_gather_object(_capture())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._states:
            checkpoint['random_states'] = self._states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._resumed = checkpoint.get('random_states') or []

    def before_train_epoch(self, runner) -> None:
        # The loop replays `iter` batches after this hook, then trains: restore just before the next draw.
        loop = runner.train_loop
        if not self._resumed or runner.iter == 0 or not hasattr(loop, 'dataloader_iterator'):
            return
        rank = get_rank()
        if rank >= len(self._resumed):
            runner.logger.warning('the checkpoint has no random states for this process: they start from the seed')
            return
        loop.dataloader_iterator = _restore_after(loop.dataloader_iterator, runner.iter, self._resumed[rank])
        self._resumed = []
