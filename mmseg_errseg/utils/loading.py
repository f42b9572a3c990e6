"""Reading what a user names (configs, checkpoints, devices) with errors that name it and the fix."""
import os
from contextlib import contextmanager
from typing import Iterator, Optional

__all__ = ['load_config', 'read_checkpoint', 'config_errors', 'check_device']


def load_config(path: str, cfg_options: Optional[dict] = None):
    """An mmengine ``Config`` from a file, overrides applied.

    Raises:
        FileNotFoundError: No such file.
        ValueError: The file is not valid Python (its line named).
    """
    from mmengine.config import Config
    if not os.path.isfile(path):
        raise FileNotFoundError(f'config {path}: no such file')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as e:
        raise ValueError(f'config {path}: {e.msg} at line {e.lineno}') from e
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def read_checkpoint(path: str) -> object:
    """What ``torch.load`` reads from a local checkpoint file (on the CPU; tensors and plain data only).

    Raises:
        FileNotFoundError: No such file.
        ValueError: The file is truncated, corrupt, or not a torch checkpoint.
    """
    import torch
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint {path}: no such file')
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # torch raises many types, with long advice that includes unsafe workarounds
        raise ValueError(f'{path} cannot be read as a torch checkpoint: truncated, corrupt or another '
                         f'format ({type(e).__name__}; --debug shows the details)') from e


@contextmanager
def config_errors(source: str) -> Iterator[None]:
    """Turn the errors MMSeg's registries raise for a bad config into one line naming ``source``: a key a
    type does not take (``TypeError``) or an unknown ``type`` (``KeyError``); other errors pass unchanged."""
    try:
        yield
    except TypeError as e:
        if 'unexpected keyword argument' not in str(e):
            raise
        raise ValueError(f'{source}: {e} (a key of the config or of --cfg-options that this type does not take)') from e
    except KeyError as e:
        if 'registry' not in str(e):
            raise
        raise ValueError(f'{source}: {e.args[0] if e.args else e}') from e


def check_device(device: str):
    """``torch.device(device)``, or one line naming the bad ``--device`` and the fix."""
    import torch
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f'--device {device!r} is not a device: use cpu or cuda[:index]') from None
    if dev.type not in ('cpu', 'cuda'):
        raise ValueError(f'--device {device!r}: only cpu and cuda are supported')
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise ValueError(f'--device {device}: CUDA is not available on this machine; use --device cpu')
    return dev
