"""A training killed mid-way (SIGKILL) and resumed gives the same weights and evaluation, bit for bit."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from conftest import REPO
from mmseg_errseg.harness.distributed import DistInfo
from mmseg_errseg.harness.runs import Run
from mmseg_errseg.harness.scales import SMOKE
from mmseg_errseg.harness.scales import ensure_smoke_data
from mmseg_errseg.harness.train_run import run_training

_KILLED = textwrap.dedent('''
    import os, signal, sys
    from pathlib import Path
    import torch
    torch.set_num_threads(1)  # as the test process: one thread, one summation order
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmseg.registry import HOOKS
    from mmseg_errseg.harness.distributed import DistInfo
    from mmseg_errseg.harness.runs import Run
    from mmseg_errseg.harness.train_run import run_training

    @HOOKS.register_module()
    class KillAfter(Hook):
        priority = 'LOWEST'  # after the CheckpointHook
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if runner.iter == 4:  # 5 iterations done, only iteration 3's checkpoint on disk
                os.kill(os.getpid(), signal.SIGKILL)

    cfg = Config.fromfile(sys.argv[1])
    cfg.custom_hooks = [*cfg.custom_hooks, dict(type='KillAfter')]
    run_training(Run('train', {}, 'killed', 'run', context=dict(config=cfg)), Path(sys.argv[2]), sys.argv[3],
                 DistInfo(), 'ERROR')
''')


def _train(cfg, work_dir: Path, data: Path) -> dict:
    return run_training(Run('train', {}, 'train', 'run', context=dict(config=cfg)), work_dir, str(data), DistInfo(),
                        'ERROR')


def _evaluate(work_dir: Path, result: dict, data: Path) -> str:
    from mmseg_errseg.evaluation import evaluate
    record = evaluate(str(work_dir / result['config']), str(work_dir / result['checkpoint']), dataset='voc20',
                      data_root=str(data), out=str(work_dir / 'eval.json'), work_dir=str(work_dir / 'eval'),
                      num_workers=0, cfg_options={'log_level': 'ERROR'})
    return json.dumps(record['metrics'], sort_keys=True)


@pytest.fixture
def one_thread():
    """Both processes on one thread, so that nothing but the resume could make them differ."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_killed_and_resumed_training_is_bit_identical(tmp_path, capsys, one_thread):
    from mmengine.config import Config
    data = tmp_path / 'data'
    ensure_smoke_data(data, names=('coco_stuff171', 'voc20'))
    config = str(SMOKE.train_config('b'))
    straight = _train(Config.fromfile(config), tmp_path / 'straight', data)
    assert 'Did not find last_checkpoint' not in capsys.readouterr().out  # a fresh training is not a failed resume

    killed = tmp_path / 'killed'
    script = tmp_path / 'killed.py'
    script.write_text(_KILLED)
    done = subprocess.run([sys.executable, str(script), config, str(killed), str(data)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == -9, done.stderr[-2000:]  # SIGKILL, mid-training
    run_dir = next((killed / 'train').iterdir())
    assert (run_dir / 'iter_3.pth').is_file() and not (run_dir / 'iter_6.pth').exists()
    resumed = _train(Config.fromfile(config), killed, data)
    assert resumed['resumed_from'].endswith('iter_3.pth') and straight['resumed_from'] is None

    assert resumed['final_loss'] == straight['final_loss'] and resumed['iterations'] == straight['iterations'] == 6
    a = torch.load(tmp_path / 'straight' / straight['checkpoint'], map_location='cpu', weights_only=False)
    b = torch.load(killed / resumed['checkpoint'], map_location='cpu', weights_only=False)
    assert a['state_dict'].keys() == b['state_dict'].keys()
    assert all(torch.equal(a['state_dict'][k], b['state_dict'][k]) for k in a['state_dict'])
    assert _evaluate(tmp_path / 'straight', straight, data) == _evaluate(killed, resumed, data)
