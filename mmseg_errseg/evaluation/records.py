"""Evaluation records: one JSON per evaluation run, written atomically."""
import copy
import datetime
import hashlib
import json
import math
import os
import platform
import tempfile
from typing import Any, Dict, Optional, Sequence

import numpy as np

__all__ = ['eval_record', 'environment_info', 'config_hash', 'write_json_atomic']

#: Config keys that only say where things are on this machine; left out of the hash.
_LOCAL_KEYS = ('work_dir', 'load_from', 'resume', 'launcher')


def environment_info(device: Optional[str] = None) -> Dict[str, str]:
    """Versions and device of this run (torch, mmseg, mmengine, mmcv, python, ...)."""
    import mmcv
    import mmengine
    import mmseg
    import torch

    from ..version import __version__
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if str(device).startswith('cuda') and torch.cuda.is_available():
        device = f'{device} ({torch.cuda.get_device_name(torch.device(device))})'
    else:
        device = f'{device} ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, '\
                 f'{torch.get_num_threads()} threads)'
    return dict(torch=torch.__version__, mmseg=mmseg.__version__, mmengine=mmengine.__version__,
                mmcv=mmcv.__version__, mmseg_errseg=__version__, numpy=np.__version__,
                python=platform.python_version(), platform=platform.platform(), device=device)


def _strip_local(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_local(v) for k, v in obj.items() if k not in _LOCAL_KEYS and k != 'data_root'}
    if isinstance(obj, (list, tuple)):
        return [_strip_local(v) for v in obj]
    return obj


def config_hash(cfg) -> str:
    """sha256 of the resolved config, without the machine-local paths.

    The config is serialised as sorted JSON after dropping ``work_dir``,
    ``load_from``, ``resume``, ``launcher`` and every ``data_root``, so the
    same experiment on another machine or data location hashes the same.

    Args:
        cfg: An mmengine ``Config`` (or a plain dict).

    Returns:
        64 hex digits.
    """
    data = cfg.to_dict() if hasattr(cfg, 'to_dict') else copy.deepcopy(dict(cfg))
    text = json.dumps(_strip_local(data), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def _finite_or_none(values: Sequence[float]):
    return [None if not math.isfinite(float(v)) else float(v) for v in values]


def eval_record(dataset: str, classes: Sequence[str], per_class: Dict[str, np.ndarray], *,
                num_selected: int, crop_size: Sequence[int], config: str, cfg_hash: str,
                checkpoint: str, environment: Dict[str, str], **extra) -> Dict[str, Any]:
    """The metrics record of one evaluation run.

    Args:
        dataset: Benchmark name (``ade847``).
        classes: The class names, in label order.
        per_class: :attr:`PerClassIoUMetric.per_class` of the run.
        num_selected: Test-time P used.
        crop_size: (H, W) the model ran at.
        config: The config path as given.
        cfg_hash: :func:`config_hash` of the resolved config.
        checkpoint: The checkpoint path as given.
        environment: :func:`environment_info`.
        **extra: More keys (e.g. ``num_images``, ``data_root``).

    Returns:
        ``{"kind": "eval", "dataset", "classes", "metrics": {"mIoU", "mAcc",
        "aAcc"} (percent), "per_class": {"IoU", "Acc"} (percent, ``None`` for a
        class not in the ground truth, as the official evaluator), "area": pixel counts
        {"intersect", "union", "pred", "label"}, "num_selected", "crop_size",
        "config", "config_hash", "checkpoint", "environment", "created", ...}``.
        ``mIoU``/``mAcc`` are the means over the non-null per-class values.
    """
    iou, acc = np.asarray(per_class['IoU'], float), np.asarray(per_class['Acc'], float)
    if len(iou) != len(classes):
        raise ValueError(f'{len(iou)} per-class results for {len(classes)} classes')

    def mean(v):
        return float(np.nanmean(v)) if np.isfinite(v).any() else None

    return dict(
        kind='eval', dataset=dataset, classes=list(classes),
        metrics=dict(mIoU=mean(iou), mAcc=mean(acc), aAcc=float(per_class['aAcc'])),
        per_class=dict(IoU=_finite_or_none(iou), Acc=_finite_or_none(acc)),
        area={k: [int(round(float(x))) for x in per_class[k]] for k in ('intersect', 'union', 'pred', 'label')},
        num_selected=int(num_selected), crop_size=[int(s) for s in crop_size], config=str(config),
        config_hash=cfg_hash, checkpoint=str(checkpoint), environment=environment,
        created=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec='seconds'),
        **extra)


def write_json_atomic(obj: Any, path: str) -> str:
    """Write JSON through a temporary file in the same folder, flushed to disk, then renamed into place.

    A crash or kill leaves either the old file (or none) or the complete new one.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{os.path.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(obj, f, indent=1, allow_nan=False)
            f.write('\n')
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(folder)
    return path


def _fsync_dir(folder: str) -> None:
    """Make a rename durable (best effort: not every platform opens folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
