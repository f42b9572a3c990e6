"""What the results of a sweep record about it: the command and environment, and why a run has no record."""
import datetime
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..utils import environment_info
from .executor import Outcome
from .planner import Plan

__all__ = ['provenance_info', 'why_missing']


def _git_revision() -> Optional[str]:
    repo = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=repo, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=repo,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if rev.returncode:
        return None
    return rev.stdout.strip() + (' (with uncommitted changes)' if dirty.stdout.strip() else '')


def provenance_info(argv: List[str], options: Dict[str, Any], device: Optional[str] = None) -> Dict[str, Any]:
    """Command line, code revision and environment of a sweep.

    Args:
        argv: The command's arguments (after ``errseg``).
        options: The resolved options worth keeping.
        device: Device description for the environment.

    Returns:
        A JSON-serialisable dict.
    """
    return dict(command=' '.join(['errseg', *argv]), options=options, revision=_git_revision(),
                started=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec='seconds'),
                environment=environment_info(device), python_executable=Path(sys.executable).name)


def why_missing(plan: Plan, outcome: Optional[Outcome]) -> 'callable':
    """A function: run key -> why that run has no record."""
    def reason(key: str) -> str:
        run = plan.runs.get(key)
        if outcome is not None and outcome.why(key):
            return outcome.why(key)
        if run is not None and run.blocked:
            return run.blocked
        return 'not run yet (run the same command again)'
    return reason
