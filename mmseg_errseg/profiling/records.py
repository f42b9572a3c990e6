"""Profile records on disk: one JSON file per measured configuration, written atomically."""
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterable, List, Mapping, Union

__all__ = ['atomic_write_text', 'config_hash', 'record_filename', 'save_record', 'load_records']


def atomic_write_text(path: Union[str, Path], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file, so an interruption leaves no partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def config_hash(model_cfg: Any) -> str:
    """Short SHA-256 of a (model) config, stable across key order."""
    if hasattr(model_cfg, 'to_dict'):
        model_cfg = model_cfg.to_dict()
    text = json.dumps(model_cfg, sort_keys=True, default=str)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]


def record_filename(record: Mapping) -> str:
    """``<name>_<benchmark or T>_<device>.json`` with unsafe characters replaced."""
    settings = record.get('settings', {})
    where = settings.get('benchmark') or f"T{settings.get('num_classes', 'x')}"
    device = (record.get('environment') or {}).get('device', 'cpu')
    stem = f"{record.get('name', 'model')}_{where}_{device}"
    return re.sub(r'[^A-Za-z0-9._-]+', '-', stem).strip('-') + '.json'


def save_record(record: Mapping, out_dir: Union[str, Path]) -> Path:
    """Write one record as ``out_dir/<record_filename>`` (atomically); returns the path."""
    return atomic_write_text(Path(out_dir) / record_filename(record),
                             json.dumps(record, indent=2, sort_keys=False) + '\n')


def load_records(paths: Iterable[Union[str, Path]]) -> List[dict]:
    """Records from JSON files or directories of them (``kind == 'profile'`` only)."""
    out = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f'records {str(path)!r}: no such file or directory')
        files = sorted(path.glob('*.json')) if path.is_dir() else [path]
        for file in files:
            data = json.loads(file.read_text(encoding='utf-8'))
            for rec in data if isinstance(data, list) else [data]:
                if isinstance(rec, dict) and rec.get('kind') == 'profile':
                    out.append(rec)
    return out
