"""From experiments to runs: every (variant, column) cell mapped to the runs whose records give its value.

Runs are keyed by what they compute (:func:`~.runs.run_key`): a configuration shared by several tables is
one run. A run that cannot be done with the given options carries the flag or command that would enable it.
"""
import contextlib
import copy
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from ..datasets.benchmarks import Benchmark, get_benchmark, test_pipeline
from ..utils import config_hash
from .experiments import Column, Experiment, Variant
from .paper_experiments import BASELINES_AT
from .runs import KINDS, Run, run_key, slugify
from .scales import Scale

__all__ = ['PlanOptions', 'ModelSource', 'CellPlan', 'Plan', 'make_plan', 'experiment_runs', 'DEFAULT_TEST_CROP',
           'MODEL_NAMES', 'dataset_prepared', 'extra_metrics', 'file_sha256']

#: Official inference size per model size (paper pixels): B at 640, L at 768 (official eval.sh).
DEFAULT_TEST_CROP = {'b': 640, 'l': 768}
MODEL_NAMES = {'b': 'ERR-Seg-B', 'l': 'ERR-Seg-L'}
#: The seen/unseen split of Table 5 comes from Table 2's run with these settings.
SIMILARITY = dict(encoder='minilm', threshold=0.95, train='coco_stuff171',
                  evals=['voc20', 'pc59', 'ade150', 'pc459', 'ade847'], template='A photo of a {} in the scene',
                  synonyms='first')


def dataset_prepared(bench: Benchmark, data_root: Optional[str], split: str = 'val') -> bool:
    """Whether a data root holds at least one label map of a prepared split."""
    if data_root:
        with contextlib.suppress(OSError), os.scandir(Path(data_root) / bench.split(split).seg_dir) as entries:
            return any(e.name.endswith(bench.seg_map_suffix) for e in entries)
    return False


def extra_metrics(bench: Benchmark) -> List[dict]:
    """Metrics every harness evaluation adds to the IoU metric: the class counts of Table 9."""
    return [dict(type='ClassOverlapMetric', ignore_index=bench.ignore_index)]


def file_sha256(path: str) -> str:
    """sha256 of a file's content (a checkpoint's identity in record keys)."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:  # in blocks: checkpoints are large (hashlib.file_digest needs Python 3.11)
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


@dataclass
class PlanOptions:
    """What the sweep may use: ``errseg reproduce``'s options (``checkpoints``: model size -> official weights),
    whether full-scale training can run here, why efficiency runs cannot (``None``: they can) and their device."""
    scale: Scale
    data_root: Optional[str] = None
    checkpoints: Dict[str, str] = field(default_factory=dict)
    datasets: Optional[Sequence[str]] = None
    cfg_options: Dict[str, Any] = field(default_factory=dict)
    can_train: bool = False
    profiler_missing: Optional[str] = None
    device: str = 'cpu'


@dataclass
class ModelSource:
    """A trained model: a harness training run (``train_key``) or a given ``checkpoint``; ``key`` identifies the
    weights, ``config`` is the resolved training config, ``reasons`` why the model is not available."""
    key: str
    label: str
    config: Any
    train_key: Optional[str] = None
    checkpoint: Optional[str] = None
    reasons: List[str] = field(default_factory=list)


@dataclass
class CellPlan:
    """The runs whose records give one table cell, or why the cell is not ours to measure."""
    runs: Tuple[str, ...] = ()
    reason: Optional[str] = None


@dataclass
class Plan:
    """Runs (in execution order) and the run(s) behind every cell of the selected experiments."""
    experiments: List[Experiment]
    runs: Dict[str, Run]
    cells: Dict[Tuple[str, int, str], CellPlan]
    options: PlanOptions

    def cell(self, experiment: Experiment, variant_index: int, column: Column) -> CellPlan:
        return self.cells[(experiment.key, variant_index, column.name)]

    def ordered(self) -> List[Run]:
        """Runs in execution order: by kind (trainings first), then in plan order."""
        return sorted(self.runs.values(), key=lambda r: KINDS.index(r.kind))


def experiment_runs(plan: Plan) -> Dict[str, List[str]]:
    """Per experiment, the keys of the runs it needs (its cells' runs and their dependencies)."""
    out: Dict[str, List[str]] = {e.key: [] for e in plan.experiments}
    for (exp_key, _, _), cell in plan.cells.items():
        stack = list(cell.runs)
        while stack:
            key = stack.pop()
            if key not in out[exp_key]:
                out[exp_key].append(key)
                stack.extend(plan.runs[key].deps)
    return out


def _set_train_crop(cfg, size: int) -> None:
    """Set the training crop of a config and the network input size that follows it."""
    hw = (size, size)
    if 'crop_size' in cfg:
        cfg.crop_size = hw
    cfg.model.crop_size = hw
    if cfg.model.get('data_preprocessor') is not None:
        cfg.model.data_preprocessor.size = hw
    for t in cfg.train_dataloader.dataset.pipeline:
        if t.get('type') == 'RandomCrop':
            t.crop_size = hw
        elif t.get('type') == 'ResizeShortestEdge':
            t.scale = size


def _test_setting(variant: Variant, bench: Benchmark) -> Tuple[int, int]:
    """(P, input size in paper pixels) a variant is evaluated and profiled at on a benchmark."""
    p = min(int(variant.test.get('num_selected', bench.num_selected)), bench.num_classes)
    return p, int(variant.test.get('crop_size') or variant.train_crop or DEFAULT_TEST_CROP[variant.model])


def _describe(variant: Variant, smoke: bool = False) -> str:
    parts = [f'{k}={v}' for k, v in variant.train.items()]
    if variant.train_crop:
        parts.append(f'trained at {variant.train_crop}x{variant.train_crop}')
    name = f'tiny model as {MODEL_NAMES[variant.model]}' if smoke else MODEL_NAMES[variant.model]
    return name + (f' ({", ".join(parts)})' if parts else ' (official)')


class _Planner:

    def __init__(self, options: PlanOptions):
        self.o = options
        self.runs: Dict[str, Run] = {}
        self._files: Dict[str, Any] = {}
        self._configs: Dict[tuple, Any] = {}
        self._models: Dict[tuple, ModelSource] = {}

    def config(self, path: Path, variant: Variant, train: bool = True):
        """A config (cached) with a variant's switches; for a training also its crop and ``--cfg-options``."""
        key = (str(path), tuple(sorted((k, repr(v)) for k, v in variant.train.items())), train and variant.train_crop)
        if key not in self._configs:
            if str(path) not in self._files:
                self._files[str(path)] = Config.fromfile(str(path))
            cfg = copy.deepcopy(self._files[str(path)])
            cfg.merge_from_dict({f'model.{k}': v for k, v in variant.train.items()})
            if train and variant.train_crop:
                _set_train_crop(cfg, self.o.scale.crop(variant.train_crop))
            if train and self.o.cfg_options:
                cfg.merge_from_dict(self.o.cfg_options)
            self._configs[key] = cfg
        return self._configs[key]

    def _add(self, run: Run, use: str) -> Run:
        run = self.runs.setdefault(run.key, run)
        if use not in run.uses:
            run.uses.append(use)
        return run

    def _unprepared(self, name: str, split: str = 'val') -> List[str]:
        """Why a run that reads a benchmark split from the data root cannot run (none: smoke, or it is there)."""
        if self.o.scale.smoke or dataset_prepared(get_benchmark(name), self.o.data_root, split):
            return []
        return [f'needs --data-root with prepared {name}: errseg prepare {name} --src RAW --dst DATA_ROOT']

    def model_source(self, variant: Variant, use: str) -> ModelSource:
        cfg = self.config(self.o.scale.train_config(variant.model), variant)
        cfg_hash = config_hash(cfg)
        ckpt = self.o.checkpoints.get(variant.model)
        if not variant.trains_own_model and ckpt and not self.o.scale.smoke:
            if (ckpt, cfg_hash) not in self._models:
                key = run_key('checkpoint', dict(sha256=file_sha256(ckpt), config=cfg_hash))
                self._models[ckpt, cfg_hash] = ModelSource(
                    key, f'{MODEL_NAMES[variant.model]} ({Path(ckpt).name})', cfg, checkpoint=ckpt)
            return self._models[ckpt, cfg_hash]
        described = _describe(variant, self.o.scale.smoke)
        switches = '-'.join(f'{k.split(".")[-1]}={v}' for k, v in variant.train.items()) or 'official'
        crop = f'-crop{variant.train_crop}' if variant.train_crop else ''
        run = self._add(Run('train', dict(config=cfg_hash, data=self.o.scale.data_spec()), label=f'train {described}',
                            slug=slugify(f'{variant.model}-{switches}{crop}'), reasons=self._train_blocked(variant),
                            context=dict(config=cfg, model=variant.model)), use)
        return ModelSource(run.key, described, cfg, train_key=run.key, reasons=list(run.reasons))

    def _train_blocked(self, variant: Variant) -> List[str]:
        if self.o.scale.smoke:
            return []
        reasons = [] if self.o.can_train else [
            'full-scale training (80k iterations) needs CUDA GPUs (use --smoke for toy scale)']
        reasons += self._unprepared('coco_stuff171', 'train')
        if reasons and not variant.trains_own_model:
            reasons.insert(0, f'needs --checkpoint {variant.model}=CKPT (the official {MODEL_NAMES[variant.model]} '
                           'weights, converted with `errseg convert-official`) or training')
        return reasons

    # ---------------------------------------------------------------- runs
    def eval_run(self, variant: Variant, dataset: str, use: str) -> Run:
        bench = get_benchmark(dataset)
        source = self.model_source(variant, use)
        p, paper_crop = _test_setting(variant, bench)
        crop = self.o.scale.crop(paper_crop)
        top_k = int(variant.test.get('decode_head.top_k', source.config.model.decode_head.get('top_k', 3)))
        protocol = dict(pipeline=test_pipeline(bench), metrics=[bench.evaluator(), *extra_metrics(bench)])
        spec = dict(model=source.key, dataset=bench.name, num_selected=p, crop_size=crop, top_k=top_k,
                    protocol=protocol, data=self.o.scale.data_spec())
        label = f'eval {source.label} on {bench.title} (P={p}, {crop}x{crop}{f", top-k {top_k}" if top_k != 3 else ""})'
        run = Run('eval', spec, label, slugify(f'{bench.name}-p{p}-c{crop}-k{top_k}'),
                  deps=(source.train_key,) if source.train_key else (),
                  reasons=source.reasons + self._unprepared(bench.name),
                  context=dict(source=source, dataset=bench.name, num_selected=p, crop_size=crop, top_k=top_k))
        return self._add(run, use)

    def profile_run(self, variant: Variant, dataset: str, use: str) -> Run:
        bench = get_benchmark(dataset)
        path = self.o.scale.profile_config(variant.model)
        cfg, base = self.config(path, variant, train=False), self.config(path, Variant('official'), train=False)
        p, size = _test_setting(variant, bench)
        # ERR-Seg as the paper configures it is measured beside its baselines (SAN, cost aggregation) in
        # the same run, so that its latency can be compared as a ratio with the paper's (Table 4)
        official = config_hash(cfg.model) == config_hash(base.model) and not variant.train_crop
        baselines = tuple(BASELINES_AT.get(bench.name, ())) if official else ()
        spec = dict(model=config_hash(cfg.model), benchmark=bench.name, num_selected=p, input=[size, size],
                    runs=self.o.scale.profile_runs, warmup=self.o.scale.profile_warmup, device=self.o.device,
                    **({'baselines': list(baselines)} if baselines else {}))
        label = f'profile {_describe(variant)} at {bench.title} (T={bench.num_classes}, P={p}, {size}x{size})'
        run = Run('profile', spec, label, slugify(f'{variant.model}-{bench.name}-p{p}-{size}'),
                  reasons=[self.o.profiler_missing] if self.o.profiler_missing else [],
                  context=dict(config=str(path), overrides=dict(variant.train),
                               benchmark=bench.name, num_selected=p, input_size=(size, size), baselines=baselines))
        return self._add(run, use)

    def analysis_run(self, analysis: str, dataset: str, use: str) -> Run:
        """Table 1's statistics of a benchmark (``dataset_stats``) or Table 2's label ``similarity`` (of all)."""
        if analysis == 'similarity':
            return self._add(Run('analysis', dict(analysis=analysis, **SIMILARITY), 'label similarity (errseg '
                                 'similarity, default encoder)', 'similarity', context=dict(analysis=analysis)), use)
        bench = get_benchmark(dataset)
        run = Run('analysis', dict(analysis=analysis, dataset=bench.name, data=self.o.scale.data_spec()),
                  f'dataset statistics of {bench.title}', slugify(f'{analysis}-{bench.name}'),
                  reasons=self._unprepared(bench.name), context=dict(analysis=analysis, dataset=bench.name))
        return self._add(run, use)

    # ---------------------------------------------------------------- cells
    def cell(self, exp: Experiment, variant: Variant, column: Column) -> CellPlan:
        if not variant.measured:
            return CellPlan(reason=variant.paper_only or variant.unsupported)
        dataset = exp.dataset_of(variant, column)
        wanted = self.o.datasets
        if wanted is not None and dataset and column.source != 'profile' and dataset not in wanted:
            return CellPlan(reason=f'not requested (--datasets {",".join(wanted)})')
        source, use = column.source, exp.title
        if source == 'profile':
            return CellPlan((self.profile_run(variant, dataset, use).key,))
        if source in ('dataset_stats', 'similarity'):
            return CellPlan((self.analysis_run(source, dataset, use).key,))
        runs = [self.eval_run(variant, dataset, use)]  # 'eval'; 'seen_unseen' also needs the similarity split
        if source == 'seen_unseen':
            runs.append(self.analysis_run('similarity', None, use))
        return CellPlan(tuple(r.key for r in runs))


def make_plan(experiments: Sequence[Experiment], options: PlanOptions) -> Plan:
    """The :class:`Plan` of experiments: the runs behind every cell, with what ``options`` allow."""
    planner = _Planner(options)
    cells = {(exp.key, i, column.name): planner.cell(exp, variant, column) for exp in experiments
             for i, variant in enumerate(exp.variants) for column in exp.columns if variant.fills(column)}
    return Plan(list(experiments), planner.runs, cells, options)
