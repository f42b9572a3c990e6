"""Open-vocabulary evaluation of a checkpoint on a benchmark, through mmengine's Runner.

Step by step the official evaluation (``train_net.py --eval-only``; README, "Evaluating"): the image read
and resized with Pillow to detectron2's size (``datasets/transforms.py``), CLIP-normalised and resized to
the crop without padding (data preprocessor, ``ERRSeg.extract_feat``), sigmoid of the logits bilinear to
the original size and argmax (unkept classes at sigmoid(-100): ``ERRSeg._postprocess``), compared with the
prepared label map as stored by :class:`PerClassIoUMetric` (``SemSegEvaluator``'s mIoU).
"""
import copy
import datetime
import os.path as osp
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np
from mmengine.config import Config

from ..apis.checkpoint import config_from_checkpoint, load_checked_state, load_errseg_checkpoint
from ..datasets import BENCHMARKS, get_benchmark, load_dataset_index
from ..utils import check_device, config_hash, environment_info, load_config, write_json
from .per_class_iou import PerClassIoUMetric

__all__ = ['build_eval_config', 'evaluate', 'eval_record', 'format_summary']


def build_eval_config(config: Union[str, Any], dataset: Optional[str] = None, data_root: Optional[str] = None,
                      num_selected: Optional[int] = None, work_dir: Optional[str] = None,
                      num_workers: Optional[int] = None, cfg_options: Optional[dict] = None,
                      extra_metrics: Sequence[dict] = ()):
    """(Config, Benchmark) of an open-vocabulary evaluation: the test set becomes the benchmark's (its dataset,
    the official test pipeline, :class:`PerClassIoUMetric` at its ignore index), the model's vocabulary its
    class names and its test-time P the benchmark's; ``VocabularyHook`` is added if missing.

    Args:
        config: Any ERR-Seg config: a path or a :class:`~mmengine.config.Config`.
        dataset: Benchmark name; default: the benchmark of the config's test set.
        data_root: Default: the config's test ``data_root``, else ``data/``.
        num_selected: Test-time P instead of the benchmark's.
        work_dir: Runner work dir; default ``work_dirs/<config name>/eval_<dataset>``.
        num_workers: Dataloader workers instead of the benchmark's default.
        cfg_options: ``Config.merge_from_dict`` overrides, applied last.
        extra_metrics: Metric configs evaluated beside the IoU metric (e.g. ``ClassOverlapMetric``).
    """
    if isinstance(config, Config):
        cfg, config = copy.deepcopy(config), 'from_checkpoint'
    elif not osp.isfile(config):
        raise FileNotFoundError(f'config {config!r} does not exist')
    else:
        cfg = load_config(config)
    if 'model' not in cfg or cfg.model.get('type') != 'ERRSeg':
        raise ValueError(f'{config}: expected an ERR-Seg config (model.type ERRSeg), got '
                         f'{cfg.get("model", {}).get("type")!r}')
    test_set = cfg.get('test_dataloader', {}).get('dataset', {})
    bench = get_benchmark(dataset) if dataset else next(
        (b for b in BENCHMARKS.values() if b.dataset_type == test_set.get('type')), None)
    if bench is None:
        raise ValueError(f'{config} does not test on a known benchmark: pass --dataset, one of '
                         f'{", ".join(BENCHMARKS)}')
    if data_root is None:
        data_root = test_set.get('data_root') or 'data/'
    cfg.test_dataloader = bench.test_dataloader(data_root, 2 if num_workers is None else num_workers)
    cfg.test_evaluator = [bench.evaluator(), *map(dict, extra_metrics)] if extra_metrics else bench.evaluator()
    cfg.test_cfg = cfg.get('test_cfg') or dict(type='TestLoop')
    if not any(h.get('type') == 'VocabularyHook' for h in cfg.get('custom_hooks') or []):
        cfg.custom_hooks = [*(cfg.get('custom_hooks') or []), dict(type='VocabularyHook')]
    cfg.model.vocabulary = bench.vocabulary
    cfg.model.setdefault('test_cfg', {})
    cfg.model.test_cfg.num_selected = int(num_selected if num_selected is not None else bench.num_selected)
    cfg.model.backbone.pretrained = None  # the checkpoint holds every weight
    cfg.load_from = None  # loaded (and checked) by evaluate()
    cfg.resume = False
    if isinstance(cfg.get('visualizer'), dict):
        cfg.visualizer.pop('name', None)  # the Runner then names it per run (no clash between runs)
    cfg.work_dir = work_dir or osp.join('work_dirs', osp.splitext(osp.basename(config))[0], f'eval_{bench.name}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg, bench


def evaluate(config: Optional[str], checkpoint: str, dataset: Optional[str] = None, data_root: Optional[str] = None,
             out: Optional[str] = None, work_dir: Optional[str] = None, num_selected: Optional[int] = None,
             num_workers: Optional[int] = None, cfg_options: Optional[dict] = None, extra_metrics: Sequence[dict] = (),
             device: Optional[str] = None, launcher: str = 'none') -> Dict[str, Any]:
    """Evaluate a checkpoint with mmengine's test loop on a benchmark; write and return its :func:`eval_record`.

    ``config`` None: the checkpoint's own (:func:`~mmseg_errseg.apis.config_from_checkpoint`); the other
    arguments are :func:`build_eval_config`'s (what ``extra_metrics`` report joins the record's ``metrics``).

    Args:
        out: Record path (default ``<work_dir>/eval_<dataset>.json``).
        device: 'cpu' or 'cuda[:i]'; default mmengine's choice (CUDA when available).
        launcher: mmengine's launcher of the processes (in their process group): each evaluates its share
            of the images, the first sums the pixel counts of all and alone writes the record.
    """
    from mmengine.dist import broadcast_object_list, is_main_process
    from mmengine.model import is_model_wrapper
    from mmengine.runner import Runner

    loaded = load_errseg_checkpoint(checkpoint) if config is None else None
    if loaded is not None:
        config = config_from_checkpoint(loaded, checkpoint)
    device = None if device is None else check_device(device)
    cfg, bench = build_eval_config(config, dataset, data_root, num_selected, work_dir, num_workers, cfg_options,
                                   extra_metrics)
    split = load_dataset_index(cfg.test_dataloader.dataset.to_dict(), bench.name)  # one clear error, early
    state = (loaded or load_errseg_checkpoint(checkpoint))['state_dict']  # after the data check: one read
    out = out or osp.join(cfg.work_dir, f'eval_{bench.name}.json')
    cfg.launcher = launcher
    if launcher != 'none':  # no device ids: also a CPU module (gloo)
        cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', broadcast_buffers=False, device_ids=None)

    runner = Runner.from_cfg(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if device is not None:
        model.to(device)  # the data preprocessor follows: batches go where the model is
    load_checked_state(model, state, checkpoint, "the config's model")
    reported = runner.test() or {}
    metric = next((m for m in runner.test_loop.evaluator.metrics if isinstance(m, PerClassIoUMetric)), None)
    per_class = [getattr(metric, 'per_class', None)]
    broadcast_object_list(per_class)  # computed by the first process only (mmengine's BaseMetric.evaluate)
    if per_class[0] is None:
        raise RuntimeError('the evaluation produced no per-class results')
    record = eval_record(
        bench.name, bench.classes(), per_class[0], num_selected=min(cfg.model.test_cfg.num_selected, bench.num_classes),
        crop_size=tuple(model.crop_size), config=config if isinstance(config, str) else f'(from {checkpoint})',
        cfg_hash=config_hash(cfg), environment=environment_info(str(next(model.parameters()).device)),
        checkpoint=checkpoint, num_images=len(split), ignore_index=bench.ignore_index, title=bench.title)
    if extra_metrics:  # IoUMetric's (rounded) summary is already there, unrounded
        record['metrics'].update({k: float(v) for k, v in reported.items() if k not in record['metrics']})
    if is_main_process():
        write_json(out, record)
    record['path'] = out
    return record


def format_summary(record: Dict[str, Any]) -> str:
    """One line per evaluation (dataset, P, crop, mIoU/mAcc/aAcc), then the record's path if it has one."""
    m = record['metrics']
    pct = {k: 'n/a' if m[k] is None else f'{m[k]:.2f}' for k in ('mIoU', 'mAcc', 'aAcc')}
    h, w = record['crop_size']
    line = (f'{record["dataset"]} ({record.get("title", "")}, {record.get("num_images", "?")} images, '
            f'P={record["num_selected"]}, crop {h}x{w}): mIoU {pct["mIoU"]}  mAcc {pct["mAcc"]}  aAcc {pct["aAcc"]}')
    return line + (f'\n  record: {record["path"]}' if record.get('path') else '')


def eval_record(dataset: str, classes: Sequence[str], per_class: Dict[str, np.ndarray], *,
                num_selected: int, crop_size: Sequence[int], config: str, cfg_hash: str,
                checkpoint: str, environment: Dict[str, str], **extra) -> Dict[str, Any]:
    """The metrics record of one evaluation run (README, "Evaluating"; ``per_class``:
    :attr:`PerClassIoUMetric.per_class`): percent, means over the classes in the ground truth, ``None`` for
    the others as the official evaluator, ``created`` now, and ``extra`` as given."""
    iou, acc = np.asarray(per_class['IoU'], float), np.asarray(per_class['Acc'], float)
    if len(iou) != len(classes):
        raise ValueError(f'{len(iou)} per-class results for {len(classes)} classes')

    def mean(v):
        return float(np.nanmean(v)) if np.isfinite(v).any() else None

    return dict(
        kind='eval', dataset=dataset, classes=list(classes),
        metrics=dict(mIoU=mean(iou), mAcc=mean(acc), aAcc=float(per_class['aAcc'])),
        per_class={k: [float(x) if np.isfinite(x) else None for x in v] for k, v in (('IoU', iou), ('Acc', acc))},
        area={k: [int(round(float(x))) for x in per_class[k]] for k in ('intersect', 'union', 'pred', 'label')},
        num_selected=int(num_selected), crop_size=[int(s) for s in crop_size], config=str(config),
        config_hash=cfg_hash, checkpoint=str(checkpoint), environment=environment,
        created=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec='seconds'),
        **extra)
