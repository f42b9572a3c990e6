"""Profile records on disk: one JSON file per measured configuration, written atomically."""
import json
import re
from pathlib import Path
from typing import Iterable, List, Mapping, Union

from ..utils import write_json

__all__ = ['record_filename', 'save_record', 'load_records']


def record_filename(record: Mapping) -> str:
    """``<name>_<benchmark or T>_<device>.json`` with unsafe characters replaced."""
    settings = record.get('settings', {})
    where = settings.get('benchmark') or f"T{settings.get('num_classes', 'x')}"
    device = (record.get('environment') or {}).get('device', 'cpu')
    stem = f"{record.get('name', 'model')}_{where}_{device}"
    return re.sub(r'[^A-Za-z0-9._-]+', '-', stem).strip('-') + '.json'


def save_record(record: Mapping, out_dir: Union[str, Path]) -> Path:
    """Write one record as ``out_dir/<record_filename>`` (atomically); returns the path."""
    return write_json(Path(out_dir) / record_filename(record), record, indent=2)


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
