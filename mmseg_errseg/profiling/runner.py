"""Profile runs: a :class:`RunSpec` says what to build; :func:`run_specs` builds, profiles, writes (one JSON
record per configuration) and frees one model at a time, so several full-size models fit in memory in turn."""
import gc
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import torch

from ..datasets.benchmarks import get_benchmark
from ..utils import check_device, config_hash, write_json
from ..vocabularies import load_vocabulary
from .profiler import profile_target
from .targets import (COST_AGGREGATION_BASELINE, SAN_CONFIG, ProfileTarget, build_san, build_segmentor,
                      check_input_size, errseg_target, load_model_config, san_config_path, san_target,
                      segmentor_target, vocabulary_of_size)

__all__ = ['ERRSEG', 'SAN', 'COST_AGG', 'RunSpec', 'Vocabulary', 'resolve_vocabulary', 'setting_specs',
           'build_target', 'save_record', 'run_specs']

#: Display names of the profiled methods.
ERRSEG, SAN, COST_AGG = 'ERR-Seg', 'SAN ViT-B/16', 'cost-aggregation baseline'


class Vocabulary(NamedTuple):
    """T class names and where they come from (a shipped list, a file, or placeholders)."""
    source: str
    names: List[str]


@dataclass
class RunSpec:
    """What to build and measure: ``method`` (display name), ``model`` 'config' (``config`` with nested
    ``model`` ``overrides``, ``checkpoint`` weights) or 'san' (MMSeg's SAN config), P (None: the config's
    ``test_cfg``), the benchmark named in records, ``text`` (:data:`~.targets.TEXT_MODES`)."""
    method: str
    model: str
    config: Optional[str]
    vocabulary: Vocabulary
    input_size: Tuple[int, int]
    num_selected: Optional[int] = None
    overrides: Optional[Dict] = None
    benchmark: Optional[str] = None
    text: str = 'random'
    checkpoint: Optional[str] = None


def resolve_vocabulary(num_classes: Optional[int] = None, vocabulary: Optional[str] = None,
                       benchmark: Optional[str] = None, default: Optional[Vocabulary] = None
                       ) -> Vocabulary:
    """The classes to profile with: T names (:func:`~.targets.vocabulary_of_size`), a shipped vocabulary
    or file, a benchmark's (its paper title ``'A-847'`` or name), else ``default`` (the config's)."""
    given = [x for x in (num_classes, vocabulary, benchmark) if x is not None]
    if len(given) > 1:
        raise ValueError('give at most one of --num-classes, --vocabulary and --benchmark')
    if benchmark is not None:
        name = get_benchmark(benchmark).vocabulary
        return Vocabulary(name, load_vocabulary(name))
    if vocabulary is not None:
        return Vocabulary(str(vocabulary), load_vocabulary(vocabulary))
    if num_classes is not None:
        return Vocabulary(*vocabulary_of_size(num_classes))
    if default is None:
        raise ValueError('the config sets no vocabulary: give --num-classes, --vocabulary or --benchmark')
    return default


def _config_defaults(cfg) -> Tuple[Optional[Tuple[int, int]], Optional[Vocabulary], Optional[int]]:
    """(input size, vocabulary, test-time P) a config implies."""
    model = cfg.model
    size = model.get('crop_size') or cfg.get('crop_size')
    vocab = model.get('vocabulary')
    source = vocab if isinstance(vocab, str) else 'the config\'s list'
    names = Vocabulary(source, load_vocabulary(vocab)) if vocab is not None else None
    p = (model.get('test_cfg') or {}).get('num_selected')
    return (tuple(size) if size else None), names, p


def setting_specs(config: str, *, num_classes: Optional[int] = None, vocabulary: Optional[str] = None,
                  benchmark: Optional[str] = None, num_selected: Optional[int] = None,
                  input_size: Optional[Sequence[int]] = None, baselines: bool = False,
                  text: str = 'random', checkpoint: Optional[str] = None) -> List[RunSpec]:
    """The runs of one setting (``errseg profile``'s options): CONFIG, then with ``baselines`` SAN and the
    cost-aggregation baseline. P defaults to the benchmark's official P, else the config's; the input size
    to the config's ``crop_size``; the classes are resolved by :func:`resolve_vocabulary`."""
    cfg = load_model_config(config)
    size, default_vocab, default_p = _config_defaults(cfg)
    if input_size is not None:
        size = check_input_size(input_size)
    elif size is None:
        raise ValueError(f'config {config!r} sets no crop_size: give --input H W')
    else:
        size = check_input_size(size, 'the config\'s crop_size')
    is_errseg = cfg.model.get('type') == 'ERRSeg'
    if not is_errseg and default_vocab is None:  # a closed-set model has no vocabulary to set
        default_vocab = Vocabulary('none', [])
    vocab = resolve_vocabulary(num_classes, vocabulary, benchmark, default_vocab)
    if num_selected is None:
        num_selected = get_benchmark(benchmark).num_selected if benchmark else default_p
        if num_selected is not None and vocab.names:  # as ERRSeg does: P is at most T
            num_selected = min(num_selected, len(vocab.names))
    elif num_selected < 1:
        raise ValueError(f'--num-selected must be >= 1, got {num_selected}')
    if checkpoint is not None and not Path(checkpoint).is_file():
        raise FileNotFoundError(f'--checkpoint {checkpoint!r}: no such file')
    common = dict(vocabulary=vocab, input_size=size, benchmark=benchmark, text=text)
    specs = [RunSpec(ERRSEG if is_errseg else cfg.model.type, 'config', config,
                     num_selected=num_selected, checkpoint=checkpoint, **common)]
    if baselines:
        if not is_errseg:
            raise ValueError('--baselines compares an ERR-Seg config with SAN and the '
                             f'cost-aggregation baseline; {config!r} builds a {cfg.model.type}')
        specs.append(RunSpec(SAN, 'san', None, **common))
        specs.append(RunSpec(COST_AGG, 'config', config, overrides=COST_AGGREGATION_BASELINE, **common))
    return specs


def build_target(spec: RunSpec, device) -> ProfileTarget:
    """Build the model of a spec on ``device`` and wrap it for measuring."""
    settings = dict(method=spec.method, benchmark=spec.benchmark, vocabulary=spec.vocabulary.source,
                    overrides=spec.overrides)
    if spec.model == 'san':
        model = build_san(spec.vocabulary.names).to(device)
        cfg = load_model_config(str(san_config_path()))
        settings.update(config=f'mmseg:{SAN_CONFIG}', config_hash=config_hash(cfg.model))
        return san_target(model, spec.vocabulary.names, spec.input_size, spec.method, settings)
    cfg = load_model_config(spec.config)
    model = build_segmentor(cfg, spec.overrides, spec.input_size, source=f'config {spec.config!r}')
    if spec.checkpoint:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, spec.checkpoint, map_location='cpu', strict=True)
    model = model.to(device)
    settings.update(config=str(spec.config), checkpoint=spec.checkpoint,
                    config_hash=config_hash(dict(model=cfg.model.to_dict(), overrides=spec.overrides,
                                                 input=list(spec.input_size))))
    if cfg.model.get('type') == 'ERRSeg':
        return errseg_target(model, spec.vocabulary.names, spec.num_selected, spec.input_size,
                             spec.method, spec.text, settings)
    return segmentor_target(model, spec.input_size, spec.method, settings)


def save_record(record: Mapping, out_dir: Union[str, Path]) -> Path:
    """Write ``out_dir/<name>_<benchmark or T>_<device>.json`` (unsafe characters replaced); returns the path."""
    settings = record.get('settings', {})
    where = settings.get('benchmark') or f"T{settings.get('num_classes', 'x')}"
    stem = f"{record.get('name', 'model')}_{where}_{(record.get('environment') or {}).get('device', 'cpu')}"
    return write_json(Path(out_dir) / (re.sub(r'[^A-Za-z0-9._-]+', '-', stem).strip('-') + '.json'), record,
                      indent=2)


def run_specs(specs: Sequence[RunSpec], device='cpu', out_dir: Optional[str] = None,
              progress: bool = False, on_record: Optional[Callable[[dict], None]] = None,
              **profile_kwargs) -> List[dict]:
    """Build, profile (``profile_kwargs``: :func:`~.profiler.profile_target`'s) and free each spec in turn.

    Each record is written to ``out_dir`` (atomically) and passed to ``on_record`` as soon as it is measured.
    """
    device = check_device(str(device))
    records = []
    for i, spec in enumerate(specs, 1):
        if progress:
            print(f'[{i}/{len(specs)}] building {spec.method} (T={len(spec.vocabulary.names)}, '
                  f'input {spec.input_size[0]}x{spec.input_size[1]})', file=sys.stderr, flush=True)
        target = build_target(spec, device)
        record = profile_target(target, device=device, progress=progress, **profile_kwargs)
        del target
        gc.collect()
        if device.type == 'cuda':
            torch.cuda.empty_cache()
        if out_dir is not None:
            record['path'] = str(save_record(record, out_dir))
        records.append(record)
        if on_record:
            on_record(record)
    return records
