"""Profile records on disk: one JSON file per measured configuration, written atomically."""
import json
import re
from pathlib import Path
from typing import Iterable, List, Mapping, Union

from ..utils import write_json

__all__ = ['save_record', 'load_records']


def save_record(record: Mapping, out_dir: Union[str, Path]) -> Path:
    """Write ``out_dir/<name>_<benchmark or T>_<device>.json`` (unsafe characters replaced); returns the path."""
    settings = record.get('settings', {})
    where = settings.get('benchmark') or f"T{settings.get('num_classes', 'x')}"
    stem = f"{record.get('name', 'model')}_{where}_{(record.get('environment') or {}).get('device', 'cpu')}"
    return write_json(Path(out_dir) / (re.sub(r'[^A-Za-z0-9._-]+', '-', stem).strip('-') + '.json'), record,
                      indent=2)


def load_records(paths: Iterable[Union[str, Path]]) -> List[dict]:
    """Records (``kind == 'profile'``) from JSON files or directories of them."""
    out = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f'records {str(path)!r}: no such file or directory')
        for file in sorted(path.glob('*.json')) if path.is_dir() else [path]:
            data = json.loads(file.read_text(encoding='utf-8'))
            out += [rec for rec in (data if isinstance(data, list) else [data])
                    if isinstance(rec, dict) and rec.get('kind') == 'profile']
    return out
