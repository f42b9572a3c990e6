"""Provenance of a run: the environment it ran in and a hash of the config it ran."""
import hashlib
import json
import os
import platform
from contextlib import suppress
from pathlib import Path
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Dict, Optional

__all__ = ['environment_info', 'config_hash', 'package_version', 'portable_path']

#: record key -> distribution whose version is recorded (when installed)
_PACKAGES = dict(torch='torch', torchvision='torchvision', mmseg='mmsegmentation', mmengine='mmengine',
                 mmcv='mmcv-lite', numpy='numpy', open_clip='open_clip_torch', mmseg_errseg='mmseg-errseg',
                 fvcore='fvcore', ptflops='ptflops', sentence_transformers='sentence-transformers')

#: Config keys that only say where things are on this machine; left out of the hash.
_LOCAL_KEYS = ('work_dir', 'load_from', 'resume', 'launcher', 'data_root')


def portable_path(path: Any) -> str:
    """``path`` as a record keeps it: a file of this package relative to the folder that holds the package
    (``mmseg_errseg/configs/...``, the same on every machine and install), any other path as given."""
    try:
        return Path(path).resolve().relative_to(Path(__file__).resolve().parents[2]).as_posix()
    except ValueError:
        return str(path)


def package_version(*dists: str) -> Optional[str]:
    """The version of the first of ``dists`` that is installed (``None``: none is)."""
    for dist in dists:
        with suppress(PackageNotFoundError):
            return version(dist)
    return None


def environment_info(device: Optional[str] = None) -> Dict[str, Any]:
    """Python, platform, device (default: ``cuda`` when available), CPU and cores, torch threads, on CUDA
    the GPU and CUDA version, and the version of each installed package of :data:`_PACKAGES`."""
    import torch

    from ..version import __version__
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    env = dict(python=platform.python_version(), platform=platform.platform(), device=str(device),
               cpu=f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores',
               torch_threads=torch.get_num_threads())
    if device.type == 'cuda':
        env.update(gpu=torch.cuda.get_device_name(device), cuda=torch.version.cuda)
    env.update({key: package_version(dist) for key, dist in _PACKAGES.items() if package_version(dist)})
    env.update(torch=torch.__version__, mmseg_errseg=__version__)  # the running ones (editable installs)
    return env


def _strip_local(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_local(v) for k, v in obj.items() if k not in _LOCAL_KEYS}
    if isinstance(obj, (list, tuple)):
        return [_strip_local(v) for v in obj]
    return obj


def config_hash(cfg: Any, length: int = 64) -> str:
    """The first ``length`` hex digits of the sha256 of a resolved config (``Config`` or dict) as sorted JSON
    without :data:`_LOCAL_KEYS` (at any depth): the same experiment hashes the same on any machine."""
    data = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)  # _strip_local copies, never mutates
    text = json.dumps(_strip_local(data), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:length]
