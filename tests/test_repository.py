"""The repository's promises: README's commands are what CI runs; the CLI explains itself."""
import re
import subprocess
import sys

from conftest import REPO


def _readme_commands():
    text = (REPO / 'README.md').read_text()
    block = re.search(r'## Two commands.*?```bash\n(.*?)```', text, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith('#')]


def test_ci_runs_the_readme_test_command():
    setup_and_run, setup_and_test = _readme_commands()
    assert setup_and_test.startswith('bash scripts/setup.sh && ')
    ci = (REPO / '.ci' / 'run').read_text()
    assert setup_and_test in ci.splitlines()
    assert setup_and_run.startswith('bash scripts/setup.sh && ')


def test_every_command_has_help():
    from mmseg_errseg.cli import COMMANDS
    out = subprocess.run([sys.executable, '-m', 'mmseg_errseg', '--help'], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    for name in COMMANDS:
        assert name in out
