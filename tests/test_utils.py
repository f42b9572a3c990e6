"""The shared helpers: atomic writes (umask honoured, nothing partial), environment, config hash."""
import json
import math
import os
import stat

import pytest
from mmengine.config import Config

from mmseg_errseg.utils import (atomic_path, config_hash, environment_info, portable_path, write_bytes, write_json,
                                write_text)


@pytest.fixture
def umask():
    def set_mask(mask):
        old.append(os.umask(mask))
    old = []
    yield set_mask
    os.umask(old[0])


@pytest.mark.parametrize('mask', [0o022, 0o002, 0o077])
def test_written_files_get_the_umask_permissions(tmp_path, umask, mask):
    umask(mask)
    written = [write_bytes(tmp_path / 'a.bin', b'x'), write_text(tmp_path / 'b.txt', 'x'),
               write_json(tmp_path / 'c.json', {'a': 1})]
    with atomic_path(tmp_path / 'd.png') as tmp:
        tmp.write_bytes(b'x')
    for path in written + [tmp_path / 'd.png']:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~mask, path


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / 'out' / 'x.png'
    write_bytes(target, b'old')

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'replace', interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_bytes(target, b'new')
    assert target.read_bytes() == b'old'
    assert os.listdir(target.parent) == ['x.png']


def test_path_writer_gets_the_target_suffix_and_a_failing_writer_changes_nothing(tmp_path):
    target = tmp_path / 'x.csv'
    write_text(target, 'old\n')
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            assert tmp.suffix == '.csv' and tmp.parent == tmp_path
            tmp.write_text('half')
            raise RuntimeError('writer failed')
    assert target.read_text() == 'old\n' and os.listdir(tmp_path) == ['x.csv']


def test_write_json_refuses_nan_and_ends_with_newline(tmp_path):
    path = tmp_path / 'r.json'
    write_json(path, {'a': 1, 'name': 'café'})
    assert path.read_text(encoding='utf-8').endswith('}\n') and 'café' in path.read_text(encoding='utf-8')
    with pytest.raises(ValueError):
        write_json(path, {'a': math.nan})
    assert json.loads(path.read_text(encoding='utf-8'))['a'] == 1
    assert [p.name for p in tmp_path.iterdir()] == ['r.json']


def test_config_hash_ignores_machine_paths_but_not_the_experiment():
    a = Config(dict(model=dict(type='ERRSeg', num_selected=32), work_dir='/x', data_root='d1',
                    train_dataloader=dict(dataset=dict(data_root='d1'))))
    b = Config(dict(model=dict(type='ERRSeg', num_selected=32), work_dir='/y', data_root='d2',
                    train_dataloader=dict(dataset=dict(data_root='d2'))))
    c = Config(dict(model=dict(type='ERRSeg', num_selected=16), work_dir='/x'))
    assert config_hash(a) == config_hash(b) != config_hash(c)
    assert len(config_hash(a)) == 64 and config_hash(a, length=12) == config_hash(a)[:12]
    assert config_hash(dict(model=dict(b=1, a=2))) == config_hash(dict(model=dict(a=2, b=1)))


def test_environment_names_versions_and_device():
    env = environment_info('cpu')
    import torch
    assert env['torch'] == torch.__version__ and env['device'] == 'cpu'
    assert {'mmseg', 'mmengine', 'python', 'platform', 'cpu', 'torch_threads', 'mmseg_errseg'} <= set(env)
    assert 'gpu' not in env


def test_portable_path_names_package_files_the_same_on_every_machine(tmp_path):
    import mmseg_errseg
    from pathlib import Path
    config = Path(mmseg_errseg.__file__).parent / 'configs' / '_base_' / 'models' / 'errseg_convnext-b.py'
    assert portable_path(config) == 'mmseg_errseg/configs/_base_/models/errseg_convnext-b.py'
    assert portable_path(str(config)) == portable_path(config)
    assert portable_path(tmp_path / 'mine.py') == str(tmp_path / 'mine.py')  # a user's own file: as given
