"""The record store: one JSON file per finished run, written atomically and durably.

A record exists only once its run has finished: it is written to a temporary
file in the same folder, flushed to disk, and renamed into place, so an
interrupted sweep leaves either the complete record or none. Records are found
by their run key, whatever their file name.
"""
import datetime
import json
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Union

from ..utils import write_json
from .runs import Run

__all__ = ['RecordStore']


class RecordStore:
    """Records of finished runs under ``<work_dir>/records/<kind>/``.

    Args:
        work_dir: The harness's work dir.
    """

    def __init__(self, work_dir: Union[str, Path]):
        self.work_dir = Path(work_dir)
        self.root = self.work_dir / 'records'
        self._records: Dict[str, Dict[str, Any]] = {}
        self._paths: Dict[str, Path] = {}
        self.reload()

    def reload(self) -> None:
        """(Re-)read every record on disk."""
        self._records.clear()
        self._paths.clear()
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob('*/*.json')):
            try:
                record = json.loads(path.read_text(encoding='utf-8'))
                key = record['run']['key']
            except (OSError, ValueError, KeyError, TypeError) as e:
                warnings.warn(f'ignoring {path}: not a harness record ({type(e).__name__}: {e})')
                continue
            self._records[key] = record
            self._paths[key] = path

    def __contains__(self, key: str) -> bool:
        return key in self._records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def get(self, key: str) -> Optional[Dict[str, Any]]:
        """The record of a run key, or ``None``."""
        return self._records.get(key)

    def path(self, key: str) -> Optional[Path]:
        """Where the record of a run key is, or ``None``."""
        return self._paths.get(key)

    def path_for(self, run: Run) -> Path:
        return self.root / run.kind / f'{run.slug}-{run.key[:16]}.json'

    def write(self, run: Run, result: Dict[str, Any], seconds: float,
              provenance: Optional[Dict[str, Any]] = None) -> Path:
        """Write the record of a finished run (atomically, fsynced).

        Args:
            run: The run.
            result: What it measured (kind-specific).
            seconds: Wall time it took.
            provenance: Command and environment of the sweep that ran it.

        Returns:
            The record's path.
        """
        record = dict(
            run=dict(key=run.key, kind=run.kind, label=run.label, spec=run.spec),
            created=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec='seconds'),
            seconds=round(float(seconds), 3), provenance=provenance or {}, result=result)
        path = self.path_for(run)
        write_json(path, record)
        self._records[run.key] = record
        self._paths[run.key] = path
        return path

    def relative(self, path: Union[str, Path]) -> str:
        """A path inside the work dir, relative to it (records stay valid when the work dir moves)."""
        try:
            return str(Path(path).resolve().relative_to(self.work_dir.resolve()))
        except ValueError:
            return str(path)

    def resolve(self, path: str) -> Path:
        """The absolute form of a path :meth:`relative` returned."""
        p = Path(path)
        return p if p.is_absolute() else self.work_dir / p

