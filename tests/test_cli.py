"""The command line: fast start (no torch before a command runs), one-line user errors, tracebacks for defects."""
import configparser
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from infer_testing import TINY_CONFIG, checkpoint, one_line_error as _error, write_image  # noqa: F401

import mmseg_errseg.cli.check_golden as check_golden
from mmseg_errseg.cli import main
from mmseg_errseg.apis import load_errseg_checkpoint

ROOT = Path(__file__).resolve().parents[1]
_HEAVY = ('torch', 'numpy', 'mmengine', 'mmseg', 'mmcv', 'cv2', 'pandas', 'open_clip')
_PROBE = '''
import sys
from mmseg_errseg_cli import main
try:
    main({argv!r})
except SystemExit:
    pass
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))
print('HEAVY', heavy)
'''


def _probe(argv):
    out = subprocess.run([sys.executable, '-c', _PROBE.format(argv=argv, heavy=_HEAVY)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    return out.stdout, out.stderr


@pytest.mark.parametrize('argv', [['--help'], ['infer'], ['infer', '--help'], ['bogus']])
def test_help_and_usage_errors_import_nothing_heavy(argv):
    """`errseg --help` and argparse errors run before torch/MMSeg are imported (well under 1 s)."""
    stdout, stderr = _probe(argv)
    assert 'HEAVY []' in stdout, (stdout, stderr)
    assert 'usage: errseg' in stdout + stderr


def test_a_command_runs_with_the_package_fully_imported():
    code = ('import sys\nfrom mmseg_errseg_cli import main\nrc = main(["test", "no_config.py", "x.pth"])\n'
            'from mmseg.registry import MODELS\nimport mmseg_errseg\n'
            'print(rc, MODELS.get("ERRSeg").__name__, mmseg_errseg.__version__ is not None)')
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.stdout.split() == ['1', 'ERRSeg', 'True'], out.stderr
    assert out.stderr.strip() == "errseg test: error: config 'no_config.py' does not exist"


def test_console_script_is_the_fast_entry_point():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / 'setup.cfg')
    assert cfg['options.entry_points']['console_scripts'].strip() == 'errseg = mmseg_errseg_cli:main'
    assert cfg['options']['py_modules'].strip() == 'mmseg_errseg_cli'


# ------------------------------------------------------------------ one line for bad input
def test_config_with_a_syntax_error(checkpoint, tmp_path, capsys):
    bad = tmp_path / 'bad.py'
    bad.write_text("model = dict(type='ERRSeg'\n")
    write_image(tmp_path / 'img.png')
    assert main(['infer', str(tmp_path / 'img.png'), '--vocab', 'cat', '--checkpoint', checkpoint,
                 '--config', str(bad)]) == 1
    assert _error(capsys).startswith(f"errseg infer: error: config {bad}: '(' was never closed at line 1")
    assert main(['test', str(bad), checkpoint]) == 1
    assert _error(capsys).startswith(f'errseg test: error: config {bad}: ')


def test_unknown_cfg_options_key(checkpoint, tmp_path, capsys):
    write_image(tmp_path / 'img.png')
    assert main(['infer', str(tmp_path / 'img.png'), '--vocab', 'cat', '--checkpoint', checkpoint,
                 '--config', TINY_CONFIG, '--cfg-options', 'model.no_such_key=1']) == 1
    line = _error(capsys)
    assert "unexpected keyword argument 'no_such_key'" in line and '--cfg-options' in line


@pytest.mark.parametrize('content', [b'not a checkpoint at all', 'truncated'])
def test_unreadable_checkpoint(checkpoint, tmp_path, capsys, content):
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(Path(checkpoint).read_bytes()[:2000] if content == 'truncated' else content)
    write_image(tmp_path / 'img.png')
    assert main(['infer', str(tmp_path / 'img.png'), '--vocab', 'cat', '--checkpoint', str(bad)]) == 1
    line = _error(capsys)
    assert f'{bad} cannot be read as a torch checkpoint: truncated, corrupt or another format' in line
    assert 'weights_only' not in line
    with pytest.raises(ValueError, match='cannot be read as a torch checkpoint'):  # errseg test's loader too
        load_errseg_checkpoint(str(bad))


def test_defects_keep_their_traceback(monkeypatch, capsys):
    """Only user errors become one line; a KeyError/RuntimeError of ours is a defect and propagates."""
    for error in (KeyError('palette'), RuntimeError('internal')):
        def run(args, error=error):
            raise error
        monkeypatch.setattr(check_golden, 'run', run)
        with pytest.raises(type(error)):
            main(['check-golden', 'x.pt'])


def test_debug_shows_the_cause_of_a_user_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        main(['--debug', 'test', str(tmp_path / 'none.py'), 'x.pth'])


def test_missing_optional_package_names_the_extra(monkeypatch, capsys):
    def run(args):
        raise ModuleNotFoundError("No module named 'seaborn'", name='seaborn')
    monkeypatch.setattr(check_golden, 'run', run)
    assert main(['check-golden', 'x.pt']) == 1
    assert _error(capsys) == ("errseg check-golden: error: No module named 'seaborn' "
                              "(pip install 'mmseg-errseg[analysis]')")


def test_a_tensor_checkpoint_is_read(tmp_path):
    from mmseg_errseg.utils import read_checkpoint
    torch.save({'state_dict': {'w': torch.ones(2)}}, tmp_path / 'c.pth')
    assert torch.equal(read_checkpoint(str(tmp_path / 'c.pth'))['state_dict']['w'], torch.ones(2))
