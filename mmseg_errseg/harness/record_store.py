"""The record store: one JSON file per finished run, written atomically (complete or absent), found by run key.

A record stamped with other code than now (:mod:`.fingerprint`) is stale: not served unless the store accepts
stale records, and then marked (:meth:`RecordStore.mark`), as are records made with uncommitted changes.
"""
import datetime
import json
import warnings
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Optional, Union

from ..utils import write_json
from .fingerprint import changed_parts, code_fingerprint
from .runs import Run

__all__ = ['RecordState', 'RecordStore']


@dataclass(frozen=True)
class RecordState:
    """How a record stands against the code now: ``status`` ``'current'``, ``'dirty'`` (same code, made
    with uncommitted changes in it) or ``'stale'`` (the code or a library changed since); ``why`` in words."""
    status: str
    why: str = ''


class RecordStore:
    """Records of finished runs under ``<work_dir>/records/<kind>/``.

    Membership and :meth:`get` see the records that are served: current and dirty ones, and stale
    ones only with ``accept_stale`` (then marked, see :meth:`mark`).
    """

    def __init__(self, work_dir: Union[str, Path], accept_stale: bool = False):
        self.work_dir = Path(work_dir)
        self.root = self.work_dir / 'records'
        self.accept_stale = accept_stale
        self._code: Dict[str, dict] = {}
        self.reload()

    def code(self, kind: str) -> dict:
        """The code fingerprint of a run kind now (computed once per store)."""
        if kind not in self._code:
            self._code[kind] = code_fingerprint(kind)
        return self._code[kind]

    def state(self, key: str) -> Optional[RecordState]:
        """How the record of a run key stands against the code now (``None``: no record)."""
        if (record := self._all.get(key)) is None:
            return None
        stamp = record.get('code')
        if why := changed_parts(stamp, self.code(record['run']['kind'])):
            return RecordState('stale', f'stale record ({why})')
        if stamp.get('dirty'):
            revision = record.get('provenance', {}).get('revision') or 'an unknown revision'
            return RecordState('dirty', f'made with uncommitted changes in its code ({revision})')
        return RecordState('current')

    def mark(self, key: str) -> Optional[str]:
        """What a served record that is not current must be shown with (``None``: current or absent)."""
        state = self.state(key) if key in self._records else None
        return state.why if state is not None and state.status != 'current' else None

    def stale(self) -> Dict[str, str]:
        """Run key -> why, for every stale record on disk (served or not)."""
        return {key: state.why for key in self._all if (state := self.state(key)).status == 'stale'}

    def reload(self) -> None:
        """(Re-)read every record on disk."""
        self._all: Dict[str, Dict[str, Any]] = {}
        self._records: Dict[str, Dict[str, Any]] = {}
        self._paths: Dict[str, Path] = {}
        for path in sorted(self.root.glob('*/*.json')):
            try:
                record = json.loads(path.read_text(encoding='utf-8'))
                key = record['run']['key']
            except (OSError, ValueError, KeyError, TypeError) as e:
                warnings.warn(f'ignoring {path}: not a harness record ({type(e).__name__}: {e})')
                continue
            self._keep(key, record, path)

    def __contains__(self, key: str) -> bool:
        return key in self._records

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def get(self, key: str) -> Optional[Dict[str, Any]]:
        """The record of a run key, or ``None``."""
        return self._records.get(key)

    def path(self, key: str) -> Optional[Path]:
        """Where the record of a run key is (served or not), or ``None``."""
        return self._paths.get(key)

    def write(self, run: Run, result: Dict[str, Any], seconds: float,
              provenance: Optional[Dict[str, Any]] = None) -> Path:
        """Write the record of a finished run: what it measured, its wall time, the sweep's command and
        environment, and the code fingerprint of its kind as this store first computed it (the code
        the run started with). Returns its path."""
        record = dict(
            run=dict(key=run.key, kind=run.kind, label=run.label, spec=run.spec),
            created=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec='seconds'),
            seconds=round(float(seconds), 3), provenance=provenance or {}, code=self.code(run.kind), result=result)
        path = write_json(self.root / run.kind / f'{run.slug}-{run.key[:16]}.json', record)
        self._keep(run.key, record, path)
        return path

    def _keep(self, key: str, record: Dict[str, Any], path: Path) -> None:
        """Hold a record read or written (served unless stale and the store does not accept stale ones)."""
        self._all[key], self._paths[key] = record, path
        if self.accept_stale or self.state(key).status != 'stale':
            self._records[key] = record

    def relative(self, path: Union[str, Path]) -> str:
        """A path inside the work dir, relative to it (records stay valid when the work dir moves)."""
        try:
            return str(Path(path).resolve().relative_to(self.work_dir.resolve()))
        except ValueError:
            return str(path)

    def resolve(self, path: str) -> Path:
        """The absolute form of a path :meth:`relative` returned."""
        return self.work_dir / path  # an absolute path stays as it is

