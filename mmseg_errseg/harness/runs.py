"""A run: one unit of work with one record, keyed by the sha256 of its kind and resolved parameters (never
machine-local paths): an identical configuration met in several tables is one run, never repeated."""
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

__all__ = ['KINDS', 'Run', 'run_key', 'slugify']

#: Run kinds, in the order the executor runs them (trainings first: under a
#: launcher every process takes part in them, the rest runs in the first one).
KINDS = ('train', 'eval', 'analysis', 'profile')


def run_key(kind: str, spec: Dict[str, Any]) -> str:
    """sha256 (hex) of a run's kind and its JSON-serialisable parameters."""
    text = json.dumps(dict(kind=kind, spec=spec), sort_keys=True, default=repr, ensure_ascii=True)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def slugify(text: str, limit: int = 60) -> str:
    """A file-name-safe short form of a label."""
    return re.sub(r'[^A-Za-z0-9.=+-]+', '_', text).strip('_')[:limit] or 'run'


@dataclass
class Run:
    """One planned run: its ``kind`` (:data:`KINDS`), the parameters its key hashes (``spec``), the keys of the
    runs it needs first (``deps``), why it cannot run with the given options (``reasons``, each with what would
    enable it), what it needs at run time but does not hash (``context``) and the experiments that need it."""
    kind: str
    spec: Dict[str, Any]
    label: str
    slug: str
    deps: Tuple[str, ...] = ()
    reasons: List[str] = field(default_factory=list)
    context: Dict[str, Any] = field(default_factory=dict)
    uses: List[str] = field(default_factory=list)
    key: str = ''

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f'unknown run kind {self.kind!r}; expected one of {KINDS}')
        self.key = run_key(self.kind, self.spec)

    @property
    def blocked(self) -> Optional[str]:
        """Why the run cannot run (``None``: it can)."""
        return '; '.join(dict.fromkeys(self.reasons)) or None
