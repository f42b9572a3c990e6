"""Per-class IoU records: the metric on hand-checked cases, and `errseg test` end to end with the tiny model."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from PIL import Image

from conftest import CONFIGS, REPO, build_model
from mmseg_errseg.cli import main
from mmseg_errseg.datasets import EVAL_BENCHMARKS, get_benchmark, make_dataset
from mmseg_errseg.evaluation import PerClassIoUMetric, eval_record, evaluate
from mmseg_errseg.models import ERRSeg
from mmseg_errseg.utils import config_hash

CONTRACT_KEYS = {'kind', 'dataset', 'classes', 'metrics', 'per_class', 'num_selected', 'crop_size', 'config',
                 'config_hash', 'checkpoint', 'environment', 'created'}


def _run_metric(classes, ignore_index, pairs):
    metric = PerClassIoUMetric(ignore_index=ignore_index)
    metric.dataset_meta = dict(classes=classes)
    samples = [dict(pred_sem_seg=dict(data=torch.tensor([pred])), gt_sem_seg=dict(data=torch.tensor([gt])))
               for pred, gt in pairs]
    metric.process({}, samples)
    return metric, metric.compute_metrics(metric.results)


def test_metric_hand_checked():
    # class a: gt 4 px, pred 4 px, both 3 -> IoU 3/5, Acc 3/4; class b: gt 3, pred 3, both 2 -> 2/4, 2/3;
    # class c: only predicted on an ignored pixel -> undefined (null); aAcc 5/7
    pairs = [([[0, 1, 1, 2]], [[0, 0, 1, 255]]), ([[1, 0, 0, 0]], [[1, 1, 0, 0]])]
    metric, summary = _run_metric(('a', 'b', 'c'), 255, pairs)
    pc = metric.per_class
    np.testing.assert_allclose(pc['IoU'][:2], [60.0, 50.0])
    np.testing.assert_allclose(pc['Acc'][:2], [75.0, 200 / 3])
    assert np.isnan(pc['IoU'][2]) and np.isnan(pc['Acc'][2])
    np.testing.assert_array_equal(pc['union'], [5, 4, 0])
    assert summary == dict(aAcc=71.43, mIoU=55.0, mAcc=70.83)  # MMSeg's own (rounded) summary
    record = eval_record('toy', ['a', 'b', 'c'], pc, num_selected=2, crop_size=(64, 64), config='c.py',
                         cfg_hash='0' * 64, checkpoint='x.pth', environment={})
    assert record['per_class']['IoU'] == [60.0, 50.0, None] and record['per_class']['Acc'][2] is None
    assert record['metrics']['mIoU'] == pytest.approx(55.0) and record['metrics']['aAcc'] == pytest.approx(500 / 7)
    assert record['metrics']['mAcc'] == pytest.approx((75 + 200 / 3) / 2)
    assert record['area']['intersect'] == [3, 2, 0] and record['area']['label'] == [4, 3, 0]


def test_metric_16bit_classes_and_ignore():
    classes = tuple(f'c{i}' for i in range(300))
    # class 299: gt 2, pred 1, both 1 -> IoU 50, Acc 50; class 5: predicted once, never in gt -> undefined
    # (the official evaluator; MMSeg's IoUMetric would count an IoU of 0); class 255 is a class here (not
    # ignored): gt 1, pred 1 -> 100; 65535 is ignored
    metric, summary = _run_metric(classes, 65535, [([[299, 5, 255, 7]], [[299, 299, 255, 65535]])])
    iou, acc = metric.per_class['IoU'], metric.per_class['Acc']
    assert (iou[299], iou[255], acc[299]) == (50.0, 100.0, 50.0)
    assert np.isnan(acc[5]) and np.isnan(iou[5]) and np.isnan(iou[7]) and np.isnan(iou[0])
    assert summary['mIoU'] == 75.0 and summary['aAcc'] == pytest.approx(66.67)


def _detectron2_sem_seg_evaluator(pairs, num_classes, ignore_label):
    """detectron2's SemSegEvaluator (process + evaluate), as the official ERR-Seg evaluation runs it."""
    conf = np.zeros((num_classes + 1, num_classes + 1), dtype=np.int64)
    for pred, gt in pairs:
        pred, gt = np.asarray(pred, np.int64), np.asarray(gt, np.int64).copy()
        gt[gt == ignore_label] = num_classes
        conf += np.bincount((num_classes + 1) * pred.reshape(-1) + gt.reshape(-1),
                            minlength=conf.size).reshape(conf.shape)
    acc = np.full(num_classes, np.nan)
    iou = np.full(num_classes, np.nan)
    tp = conf.diagonal()[:-1].astype(np.float64)
    pos_gt = np.sum(conf[:-1, :-1], axis=0).astype(np.float64)
    pos_pred = np.sum(conf[:-1, :-1], axis=1).astype(np.float64)
    acc_valid = pos_gt > 0
    acc[acc_valid] = tp[acc_valid] / pos_gt[acc_valid]
    union = pos_gt + pos_pred - tp
    iou_valid = np.logical_and(acc_valid, union > 0)
    iou[iou_valid] = tp[iou_valid] / union[iou_valid]
    return dict(IoU=100 * iou, Acc=100 * acc, mIoU=100 * np.sum(iou[iou_valid]) / np.sum(iou_valid),
                mACC=100 * np.sum(acc[acc_valid]) / np.sum(acc_valid), pACC=100 * np.sum(tp) / np.sum(pos_gt))


@pytest.mark.parametrize('num_classes,ignore', [(20, 255), (300, 65535)])
def test_metric_equals_the_official_evaluator(num_classes, ignore):
    # random predictions over the whole vocabulary (many classes only predicted), ignored pixels included
    rng = np.random.default_rng(num_classes)
    pairs = []
    for h, w in ((13, 17), (9, 31), (20, 8)):
        gt = rng.integers(0, num_classes // 3, (h, w))
        gt[rng.random((h, w)) < 0.2] = ignore
        pairs.append((rng.integers(0, num_classes, (h, w)).tolist(), gt.tolist()))
    metric, summary = _run_metric(tuple(map(str, range(num_classes))), ignore, pairs)
    official = _detectron2_sem_seg_evaluator(pairs, num_classes, ignore)
    np.testing.assert_allclose(metric.per_class['IoU'], official['IoU'], rtol=1e-12)
    np.testing.assert_allclose(metric.per_class['Acc'], official['Acc'], rtol=1e-12)
    record = eval_record('toy', list(map(str, range(num_classes))), metric.per_class, num_selected=2,
                         crop_size=(64, 64), config='c.py', cfg_hash='0' * 64, checkpoint='x.pth', environment={})
    assert record['metrics']['mIoU'] == pytest.approx(official['mIoU'], rel=1e-12)
    assert record['metrics']['mAcc'] == pytest.approx(official['mACC'], rel=1e-12)
    assert record['metrics']['aAcc'] == pytest.approx(official['pACC'], rel=1e-12)
    assert summary['mIoU'] == round(official['mIoU'], 2)


# ---------------------------------------------------------------- end to end with the tiny model
@pytest.fixture(scope='module')
def tiny_setup(tmp_path_factory):
    """A tiny checkpoint, tiny eval configs (the shipped dataset configs + the tiny model), generated data."""
    root = tmp_path_factory.mktemp('eval')
    torch.manual_seed(0)
    model = build_model()
    ckpt = str(root / 'tiny.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    data = str(root / 'data')
    configs = {}
    for name in ('voc20', 'pc459'):
        make_dataset(name, data, num_images=2, size=(32, 40), seed=5)
        path = root / f'tiny_eval_{name}.py'
        path.write_text(
            f"_base_ = ['{CONFIGS}/_base_/models/errseg_tiny.py', '{CONFIGS}/_base_/datasets/{name}.py', "
            f"'{CONFIGS}/_base_/default_runtime.py']\n"
            "model = dict(vocabulary={{_base_.vocabulary}}, test_cfg=dict(num_selected={{_base_.test_num_selected}}))\n"
            "test_cfg = dict(type='TestLoop')\ncustom_hooks = [dict(type='VocabularyHook')]\n")
        configs[name] = str(path)
    return dict(root=root, ckpt=ckpt, data=data, configs=configs)


def _oracle_predict(self, inputs, data_samples=None):
    """Prediction = ground truth, except the left half of every image is class 1 (ignored pixels: class 0)."""
    for s in data_samples:
        gt = s.gt_sem_seg.data
        pred = torch.where(gt < self.num_classes, gt, torch.zeros_like(gt))
        pred[..., : pred.shape[-1] // 2] = 1
        s.set_data(dict(pred_sem_seg=PixelData(data=pred)))
    return data_samples


def test_record_is_correct_end_to_end(tiny_setup, monkeypatch):
    # a prediction we can compute by hand from the label files: checks pipeline (labels at the original
    # size, 16-bit ids), ignore index, IoUMetric and the record together
    monkeypatch.setattr(ERRSeg, 'predict', _oracle_predict)
    s = tiny_setup
    out = str(s['root'] / 'oracle.json')
    record = evaluate(s['configs']['pc459'], s['ckpt'], data_root=s['data'], out=out, num_workers=0,
                      work_dir=str(s['root'] / 'wd_oracle'))
    b = get_benchmark('pc459')
    inter, union = np.zeros(459), np.zeros(459)
    for seg in sorted((s['root'] / 'data' / b.split('val').seg_dir).iterdir()):
        gt = np.asarray(Image.open(seg)).astype(np.int64)
        pred = np.where(gt == 65535, 0, gt)
        pred[:, : gt.shape[1] // 2] = 1
        valid = gt != 65535
        inter += np.bincount(gt[valid & (gt == pred)], minlength=459)
        union += np.bincount(gt[valid], minlength=459) + np.bincount(pred[valid], minlength=459)
    union -= inter
    labelled = np.zeros(459)
    for seg in sorted((s['root'] / 'data' / b.split('val').seg_dir).iterdir()):
        gt = np.asarray(Image.open(seg)).astype(np.int64)
        labelled += np.bincount(gt[gt != 65535], minlength=459)
    expected = [None if n == 0 else 100 * i / u for i, u, n in zip(inter, union, labelled)]  # official
    got = json.load(open(out))
    assert got['per_class']['IoU'] == pytest.approx(expected)
    assert got['metrics']['mIoU'] == pytest.approx(np.mean([e for e in expected if e is not None]))
    assert record['num_images'] == 2 and got['num_selected'] == 48


def test_errseg_test_cli_writes_the_record(tiny_setup, capsys, monkeypatch):
    s = tiny_setup
    seen = {}
    predict = ERRSeg.predict

    def spy(self, inputs, data_samples=None):
        seen[data_samples[0].img_path] = inputs.clone()
        return predict(self, inputs, data_samples)

    monkeypatch.setattr(ERRSeg, 'predict', spy)
    out = str(s['root'] / 'voc20.json')
    argv = ['test', s['configs']['pc459'], s['ckpt'], '--dataset', 'voc20', '--data-root', s['data'], '--out', out,
            '--num-workers', '0', '--work-dir', str(s['root'] / 'wd_cli'), '--device', 'cpu']
    assert main(argv) == 0
    # the model received the official input: the JPEG read by Pillow, resized by Pillow to detectron2's size
    assert len(seen) == 2
    for path, inputs in seen.items():
        img = Image.open(path).convert('RGB')
        w, h = img.size
        scale = min(800 / min(h, w), 1333 / max(h, w))
        official = np.asarray(img.resize((int(w * scale + 0.5), int(h * scale + 0.5)), Image.BILINEAR))
        mean, std = torch.tensor([123.675, 116.28, 103.53]), torch.tensor([58.395, 57.12, 57.375])
        x = (torch.from_numpy(official.copy()).permute(2, 0, 1) - mean[:, None, None]) / std[:, None, None]
        assert torch.equal(inputs, x[None])
    assert f'record: {out}' in capsys.readouterr().out
    r = json.load(open(out))
    assert CONTRACT_KEYS <= set(r) and r['kind'] == 'eval' and r['dataset'] == 'voc20'
    assert r['classes'] == list(get_benchmark('voc20').classes())
    assert r['num_selected'] == 16 and r['crop_size'] == [64, 64]  # --dataset sets P; the config the crop
    assert len(r['per_class']['IoU']) == len(r['per_class']['Acc']) == 20
    for iou, label in zip(r['per_class']['IoU'], r['area']['label']):
        assert (iou is None) == (label == 0)  # the official evaluator: IoU of the ground truth's classes
    valid = [v for v in r['per_class']['IoU'] if v is not None]
    assert r['metrics']['mIoU'] == pytest.approx(np.mean(valid)) and 0 <= r['metrics']['aAcc'] <= 100
    assert len(r['config_hash']) == 64 and {'torch', 'mmseg', 'mmengine', 'python', 'device'} <= set(r['environment'])
    assert r['environment']['device'] == 'cpu' and r['environment']['cpu']
    cfg = Config.fromfile(s['configs']['pc459'])
    assert r['config_hash'] != config_hash(cfg)  # the hash is of the resolved (voc20) config


def test_two_processes_sum_the_pixel_counts_of_every_image(tiny_setup, tmp_path):
    """`errseg test --launcher pytorch` under torchrun (gloo, CPU): the same record as one process."""
    make_dataset('voc20', str(tmp_path / 'data'), num_images=3, size=(32, 40), seed=7)  # odd: one rank pads
    s = tiny_setup
    argv = ['test', s['configs']['voc20'], s['ckpt'], '--data-root', str(tmp_path / 'data'), '--num-workers', '0',
            '--device', 'cpu']
    assert main([*argv, '--out', str(tmp_path / 'one.json'), '--work-dir', str(tmp_path / 'wd1')]) == 0
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', str(port),
         '-m', 'mmseg_errseg', *argv, '--out', str(tmp_path / 'two.json'), '--work-dir', str(tmp_path / 'wd2'),
         '--launcher', 'pytorch'], cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS='1'), capture_output=True,
        text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count('record: ') == 1  # the first process reports
    one, two = (json.loads((tmp_path / f'{n}.json').read_text()) for n in ('one', 'two'))
    assert two['num_images'] == 3 and sum(one['area']['label']) > 0
    for key in ('metrics', 'per_class', 'area'):
        assert two[key] == one[key], key  # exactly: the counts of all 3 images, none twice


@pytest.mark.parametrize('name', EVAL_BENCHMARKS)
def test_shipped_eval_configs_run_with_the_tiny_model(tiny_setup, tmp_path, name):
    tiny = Config.fromfile(str(CONFIGS / '_base_' / 'models' / 'errseg_tiny.py')).model.to_dict()
    del tiny['vocabulary'], tiny['test_cfg']  # the eval config's
    make_dataset(name, str(tmp_path), num_images=1, size=(32, 32), seed=1)
    config = str(CONFIGS / 'errseg' / f'errseg_convnext-b_eval-{name}-640x640.py')
    record = evaluate(config, tiny_setup['ckpt'], data_root=str(tmp_path), num_workers=0,
                      work_dir=str(tmp_path / 'wd'), cfg_options={'model': tiny})
    b = get_benchmark(name)
    assert record['num_selected'] == b.num_selected and record['dataset'] == name
    assert len(record['per_class']['IoU']) == b.num_classes and record['num_images'] == 1
    assert osp.isfile(record['path'])


def test_clear_errors(tiny_setup, tmp_path, capsys):
    s = tiny_setup
    cfg = s['configs']['voc20']
    assert main(['test', cfg, s['ckpt'], '--data-root', str(tmp_path / 'none')]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "data root '" in err[0] and 'errseg prepare voc20' in err[0]
    assert main(['test', cfg, s['ckpt'], '--data-root', str(tmp_path)]) == 1
    assert 'label-map folder' in capsys.readouterr().err
    assert main(['test', cfg, s['ckpt'], '--dataset', 'ade20']) == 1
    assert "unknown dataset 'ade20'" in capsys.readouterr().err
    assert main(['test', cfg, s['ckpt'], '--launcher', 'pytorch']) == 1  # not under torchrun
    assert 'torchrun --nproc_per_node N -m mmseg_errseg COMMAND' in capsys.readouterr().err
    assert main(['test', cfg, str(tmp_path / 'no.pth'), '--data-root', s['data']]) == 1
    assert 'no.pth' in capsys.readouterr().err
    bad = str(tmp_path / 'bad.pth')
    state = torch.load(s['ckpt'])['state_dict']
    torch.save({'state_dict': {k: v for k, v in state.items() if not k.startswith('decode_head.decoder')}}, bad)
    argv = ['--data-root', s['data'], '--work-dir', str(tmp_path / 'wd'), '--num-workers', '0']
    assert main(['test', cfg, bad, *argv]) == 1
    err = capsys.readouterr().err
    assert "does not fit the config's model" in err and 'decode_head.decoder' in err and 'missing' in err
    torch.save({'state_dict': {k: v for k, v in state.items() if not k.startswith('decode_head')}}, bad)
    assert main(['test', cfg, bad, *argv]) == 1
    assert "is not an ERR-Seg checkpoint: expected state_dict keys starting with 'backbone.clip.*' and " \
        "'decode_head.*'" in capsys.readouterr().err


@pytest.mark.slow
def test_full_size_b_eval_config(tmp_path):
    """ERR-Seg-B (random weights) through its A-847 eval config at 640x640 on one generated image."""
    model = build_model('_base_/models/errseg_convnext-b.py')
    ckpt = str(tmp_path / 'b.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)
    del model
    make_dataset('ade847', str(tmp_path / 'data'), num_images=1, size=(480, 640))
    config = str(CONFIGS / 'errseg' / 'errseg_convnext-b_eval-ade847-640x640.py')
    record = evaluate(config, ckpt, data_root=str(tmp_path / 'data'), num_workers=0, work_dir=str(tmp_path / 'wd'))
    assert record['num_selected'] == 48 and record['crop_size'] == [640, 640]
    assert sum(record['area']['label']) == 480 * 640 - 480 // 8 * 640  # every labelled pixel, at full size


@pytest.mark.parametrize('device,message', [('cuda', 'CUDA is not available on this machine; use --device cpu'),
                                            ('meta', 'only cpu and cuda are supported'),
                                            ('gpu:x', "is not a device: use cpu or cuda")])
def test_errseg_test_bad_device_one_clear_error(tiny_setup, capsys, monkeypatch, tmp_path, device, message):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    s = tiny_setup
    out = tmp_path / 'r.json'
    argv = ['test', s['configs']['voc20'], s['ckpt'], '--data-root', s['data'], '--out', str(out),
            '--num-workers', '0', '--work-dir', str(tmp_path / 'wd'), '--device', device]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / 'wd').exists()  # nothing started, nothing half-written
