"""Open-vocabulary evaluation of a checkpoint on a benchmark, through mmengine's Runner.

Checked step by step against the official evaluation (ERR-Seg's ``train_net.py
--eval-only``: detectron2's default test mapper, ``ERRSeg.forward`` in eval mode,
``SemSegEvaluator``):

1. Image: read with Pillow (EXIF orientation, RGB), resized as uint8 with
   ``PIL.Image.resize(BILINEAR)`` to ``ResizeShortestEdge(800, 1333)``'s size,
   detectron2's rounding (``datasets/resize.py``; equal pixel for pixel, up to the
   tensor ``predict`` receives: ``tests/test_eval_pipeline.py``, and through
   ``errseg test``: ``tests/test_evaluation.py``).
2. Normalisation ``(x - mean) / std`` with the CLIP mean/std of both released
   configs, then a bilinear resize (``align_corners=False``) to the crop; no
   padding at test (``size_divisibility = -1``): the data preprocessor and
   ``ERRSeg.extract_feat``; crop 640 for B, 768 for L (``eval.sh``; converted
   checkpoints record it: ``converters/official.py``).
3. Output: sigmoid of the (1/4 crop) logits, bilinear (``align_corners=False``)
   to the original image size (``sem_seg_postprocess``), argmax over classes
   (unkept classes are at sigmoid(-100), never above a kept one):
   ``ERRSeg._postprocess``.
4. Labels: the prepared label map read as stored at the original size (uint8
   PNG, uint16 TIFF for A-847/PC-459), ignore 255 resp. 65535, not resized
   (the pipeline loads it after the image resize).
5. Metric: ignored pixels are left out; per-class IoU only for classes in the
   ground truth, mIoU their mean (``PerClassIoUMetric``, equal to
   ``SemSegEvaluator``'s: ``tests/test_evaluation.py``).
"""
import copy
import os.path as osp
import re
from typing import Any, Dict, Optional, Sequence, Tuple, Union

from mmengine.config import Config

from ..datasets.benchmarks import BENCHMARKS, Benchmark, get_benchmark
from .per_class_iou import PerClassIoUMetric
from ..utils import config_hash, environment_info, load_config, read_checkpoint, write_json
from .records import eval_record

__all__ = ['build_eval_config', 'config_of_checkpoint', 'load_checked_state', 'evaluate', 'format_summary']

_SHOW = 5


def _benchmark_of_config(cfg) -> Optional[Benchmark]:
    dataset_type = cfg.get('test_dataloader', {}).get('dataset', {}).get('type')
    return next((b for b in BENCHMARKS.values() if b.dataset_type == dataset_type), None)


def config_of_checkpoint(checkpoint: str):
    """The evaluation config of a checkpoint given without a config.

    A Runner checkpoint carries its config; a converted official one its
    architecture and the official evaluation crop (768 for ERR-Seg-L), put on
    the base model config with the default runtime.
    """
    from ..apis.checkpoint import config_from_checkpoint, load_errseg_checkpoint
    cfg = config_from_checkpoint(load_errseg_checkpoint(checkpoint), checkpoint)
    if 'default_scope' not in cfg:
        runtime = Config.fromfile(osp.join(osp.dirname(osp.dirname(__file__)), 'configs', '_base_',
                                           'default_runtime.py'))
        runtime.merge_from_dict(cfg.to_dict())
        cfg = runtime
    return cfg


def build_eval_config(config: Union[str, Any], dataset: Optional[str] = None, data_root: Optional[str] = None,
                      num_selected: Optional[int] = None, work_dir: Optional[str] = None,
                      num_workers: Optional[int] = None, cfg_options: Optional[dict] = None,
                      extra_metrics: Sequence[dict] = ()):
    """The config of an open-vocabulary evaluation.

    The test set becomes the benchmark's (its registered dataset, the official
    test pipeline, :class:`PerClassIoUMetric` at its ignore index), the model's
    vocabulary its class names and its test-time P the benchmark's (unless
    ``num_selected`` is given); ``VocabularyHook`` is added if missing.

    Args:
        config: Any ERR-Seg config (training or evaluation): a path or a
            :class:`~mmengine.config.Config` (e.g. :func:`config_of_checkpoint`).
        dataset: Benchmark name; default: the benchmark of the config's test set.
        data_root: Data root holding the prepared dataset; default: the
            config's test ``data_root``, else ``data/``.
        num_selected: Test-time P instead of the benchmark's.
        work_dir: Runner work dir; default ``work_dirs/<config name>/eval_<dataset>``.
        num_workers: Dataloader workers instead of the benchmark's default.
        cfg_options: Further ``Config.merge_from_dict`` overrides, applied last.
        extra_metrics: More metric configs evaluated beside the IoU metric
            (e.g. ``dict(type='ClassOverlapMetric', ignore_index=255)``).

    Returns:
        (Config, Benchmark).
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
    bench = get_benchmark(dataset) if dataset else _benchmark_of_config(cfg)
    if bench is None:
        raise ValueError(f'{config} does not test on a known benchmark: pass --dataset, one of '
                         f'{", ".join(BENCHMARKS)}')
    if data_root is None:
        data_root = cfg.get('test_dataloader', {}).get('dataset', {}).get('data_root') or 'data/'
    loader = bench.test_dataloader(data_root)
    if num_workers is not None:
        loader.update(num_workers=num_workers, persistent_workers=num_workers > 0)
    cfg.test_dataloader = loader
    cfg.test_evaluator = [bench.evaluator(), *map(dict, extra_metrics)] if extra_metrics else bench.evaluator()
    cfg.test_cfg = cfg.get('test_cfg') or dict(type='TestLoop')
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') == 'VocabularyHook' for h in hooks):
        hooks.append(dict(type='VocabularyHook'))
    cfg.custom_hooks = hooks
    cfg.model.vocabulary = bench.vocabulary
    cfg.model.setdefault('test_cfg', {})
    cfg.model.test_cfg.num_selected = int(num_selected if num_selected is not None else bench.num_selected)
    cfg.model.backbone.pretrained = None  # the checkpoint holds every weight
    cfg.load_from = None  # loaded (and checked) by evaluate()
    cfg.resume = False
    if isinstance(cfg.get('visualizer'), dict):
        cfg.visualizer.pop('name', None)  # the Runner then names it per run (no clash between runs)
    stem = osp.splitext(osp.basename(config))[0]
    cfg.work_dir = work_dir or osp.join('work_dirs', stem, f'eval_{bench.name}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg, bench


def load_checked_state(model, checkpoint: str) -> Tuple[int, int]:
    """Load a checkpoint into a model after checking that it fits.

    Args:
        model: The (unwrapped) model.
        checkpoint: mmengine checkpoint (``state_dict`` + ``meta``) or a bare state dict.

    Returns:
        (tensors loaded, unexpected keys ignored).

    Raises:
        FileNotFoundError: No such file.
        ValueError: Keys of the model missing from the checkpoint, or shapes
            that differ (the first few are named).
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    ckpt = read_checkpoint(checkpoint)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint}: not a checkpoint (expected a state dict)')
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    shapes = [f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}' for k, v in own.items()
              if k in state and hasattr(state[k], 'shape') and tuple(state[k].shape) != tuple(v.shape)]
    if missing or shapes:
        problems = []
        if missing:
            problems.append(f'{len(missing)} of the model\'s {len(own)} tensors are missing '
                            f'(e.g. {", ".join(missing[:_SHOW])})')
        if shapes:
            problems.append(f'{len(shapes)} have other shapes (checkpoint vs model: '
                            f'{"; ".join(shapes[:_SHOW])})')
        raise ValueError(f'{checkpoint} does not fit the config\'s model: {"; ".join(problems)}. '
                         'Is it an ERR-Seg checkpoint of this model size (convert official ones with '
                         '`errseg convert-official`)?')
    unexpected = [k for k in state if k not in own]
    model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=True)
    return len(own), len(unexpected)


def evaluate(config: Optional[str], checkpoint: str, dataset: Optional[str] = None, data_root: Optional[str] = None,
             out: Optional[str] = None, work_dir: Optional[str] = None, num_selected: Optional[int] = None,
             num_workers: Optional[int] = None, cfg_options: Optional[dict] = None,
             extra_metrics: Sequence[dict] = (), device: Optional[str] = None) -> Dict[str, Any]:
    """Evaluate a checkpoint on a benchmark and write its metrics record.

    Runs mmengine's test loop with the benchmark's vocabulary, test-time P and
    ignore index (see :func:`build_eval_config`); the data root is checked
    before anything heavy starts.

    Args:
        config: ERR-Seg config; ``None``: the checkpoint's own (see :func:`config_of_checkpoint`).
        checkpoint: Checkpoint of that config's model.
        dataset: Benchmark name (default: the config's test set).
        data_root: Data root (default: the config's, else ``data/``).
        out: Record path (default ``<work_dir>/eval_<dataset>.json``).
        work_dir: Runner work dir.
        num_selected: Test-time P instead of the benchmark's.
        num_workers: Dataloader workers.
        cfg_options: Further config overrides.
        extra_metrics: More metric configs; what they report is added to the
            record's ``metrics`` (e.g. ``ClassOverlapMetric``'s class counts).
        device: 'cpu' or 'cuda[:i]'; default mmengine's choice (CUDA when available).

    Returns:
        The record (see :func:`eval_record`), also written to ``out``.
    """
    from mmengine.model import is_model_wrapper
    from mmengine.runner import Runner

    from ..datasets.data_root import load_dataset_index

    if config is None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
        config = config_of_checkpoint(checkpoint)
    device = _check_device(device)
    cfg, bench = build_eval_config(config, dataset, data_root, num_selected, work_dir, num_workers, cfg_options,
                                   extra_metrics)
    split = load_dataset_index(cfg.test_dataloader.dataset.to_dict(), bench.name)  # one clear error, early
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint!r} does not exist')
    out = out or osp.join(cfg.work_dir, f'eval_{bench.name}.json')

    runner = Runner.from_cfg(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if device is not None:
        model.to(device)  # the data preprocessor follows: batches go where the model is
    load_checked_state(model, checkpoint)
    reported = runner.test() or {}
    metric = next((m for m in runner.test_loop.evaluator.metrics if isinstance(m, PerClassIoUMetric)), None)
    if metric is None or metric.per_class is None:
        raise RuntimeError('the evaluation produced no per-class results')
    num_classes = len(bench.classes())
    record = eval_record(
        bench.name, bench.classes(), metric.per_class,
        num_selected=min(cfg.model.test_cfg.num_selected, num_classes),
        crop_size=tuple(model.crop_size), config=config if isinstance(config, str) else f'(from {checkpoint})',
        cfg_hash=config_hash(cfg), checkpoint=checkpoint, environment=environment_info(str(_device(model))),
        num_images=len(split), ignore_index=bench.ignore_index, title=bench.title)
    if extra_metrics:  # IoUMetric's (rounded) summary is already there, unrounded
        record['metrics'].update({k: float(v) for k, v in reported.items() if k not in record['metrics']})
    write_json(out, record)
    record['path'] = out
    return record


def _check_device(device: Optional[str]):
    if device is None:
        return None
    import torch
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f'--device {device!r} is not a device: use cpu or cuda[:index]') from None
    if dev.type not in ('cpu', 'cuda'):
        raise ValueError(f'--device {device!r}: only cpu and cuda are supported')
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise ValueError(f'--device {device}: CUDA is not available on this machine; use --device cpu')
    return dev


def _device(model) -> Any:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return 'cpu'


def format_summary(record: Dict[str, Any], paths: Sequence[str] = ()) -> str:
    """One line per evaluation: dataset, P, crop, mIoU/mAcc/aAcc."""
    m = record['metrics']

    def pct(v):
        return 'n/a' if v is None else f'{v:.2f}'

    h, w = record['crop_size']
    line = (f'{record["dataset"]} ({record.get("title", "")}, {record.get("num_images", "?")} images, '
            f'P={record["num_selected"]}, crop {h}x{w}): mIoU {pct(m["mIoU"])}  mAcc {pct(m["mAcc"])}  '
            f'aAcc {pct(m["aAcc"])}')
    return line + ''.join(f'\n  record: {p}' for p in paths)

