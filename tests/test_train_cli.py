"""errseg train: MMSeg's tools/train.py on the tiny config (train, resume, overrides, errors, torchrun)."""
import os
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from conftest import CONFIGS, REPO
from mmseg_errseg.cli import main
from mmseg_errseg.datasets import make_dataset

TINY = str(CONFIGS / 'errseg' / 'errseg_tiny_1xb2-6it_coco-stuff171-128x128.py')


def _options(data_root, iters):
    return ['--cfg-options', f'train_dataloader.dataset.data_root={data_root}', f'train_cfg.max_iters={iters}',
            'default_hooks.checkpoint.interval=2', 'model.backbone.pretrained=None']


def test_train_then_resume(tmp_path, capsys):
    make_dataset('coco_stuff171', str(tmp_path / 'data'), num_images=2, size=(64, 64), splits=['train'])
    work = tmp_path / 'work'
    assert main(['train', TINY, '--work-dir', str(work), *_options(tmp_path / 'data', 2)]) == 0
    assert (work / 'iter_2.pth').is_file() and (work / 'last_checkpoint').is_file()
    out = capsys.readouterr()
    assert 'Iter(train) [2/2]' in out.out + out.err  # the log is not hidden (no WARNING log level)
    assert main(['train', TINY, '--work-dir', str(work), '--resume', *_options(tmp_path / 'data', 4)]) == 0
    resumed = torch.load(work / 'iter_4.pth', map_location='cpu', weights_only=False)
    assert resumed['meta']['iter'] == 4
    out = capsys.readouterr()
    assert 'resumed' in (out.out + out.err).lower() and 'Iter(train) [3/4]' in out.out + out.err
    # the random states (augmentations, drop path) are restored: as if never interrupted
    assert main(['train', TINY, '--work-dir', str(tmp_path / 'straight'), *_options(tmp_path / 'data', 4)]) == 0
    straight = torch.load(tmp_path / 'straight' / 'iter_4.pth', map_location='cpu', weights_only=False)
    assert 'random_states' in resumed and straight['state_dict'].keys() == resumed['state_dict'].keys()
    assert all(torch.equal(v, resumed['state_dict'][k]) for k, v in straight['state_dict'].items())


@pytest.mark.parametrize('config', sorted((CONFIGS / 'errseg').glob('errseg_*_1xb*.py')), ids=lambda p: p.name)
def test_training_configs_restore_random_states_on_resume(config):
    """The default runtime's hooks: MMSeg's tools/train.py loads the configs as they are."""
    assert [h['type'] for h in Config.fromfile(str(config)).custom_hooks] == ['VocabularyHook', 'RandomStateHook']


def test_train_errors_are_one_line(tmp_path, capsys):
    assert main(['train', str(tmp_path / 'none.py')]) == 1
    assert capsys.readouterr().err.strip() == f'errseg train: error: config {tmp_path / "none.py"}: no such file'
    assert main(['train', TINY, '--work-dir', str(tmp_path), '--cfg-options', 'model.decode_head.bogus=1']) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unexpected keyword argument 'bogus'" in err[0]


def test_two_processes_train_on_cpu(tmp_path):
    """`errseg train --launcher pytorch` under torchrun without a GPU: gloo, a CPU DDP module."""
    make_dataset('coco_stuff171', str(tmp_path / 'data'), num_images=2, size=(64, 64), splits=['train'])
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', str(port),
         '-m', 'mmseg_errseg', 'train', TINY, '--work-dir', str(tmp_path / 'work'), '--launcher', 'pytorch',
         *_options(tmp_path / 'data', 2)], cwd=REPO, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES=''))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
    assert 'Iter(train) [2/2]' in done.stdout + done.stderr and 'Distributed training: True' in done.stdout + done.stderr
