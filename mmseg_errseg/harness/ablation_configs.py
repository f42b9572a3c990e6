"""The paper's ablations as MMSeg config files (``configs/errseg/ablations/``), generated from the experiment
registry: ``_base_`` plus the paper's switches. ``python -m mmseg_errseg.harness.ablation_configs`` writes them."""
import sys
from pathlib import Path
from typing import Dict, List, Mapping

from mmengine.config import Config

from ..utils import write_text
from .paper_experiments import EXPERIMENTS
from .scales import CONFIG_DIR

__all__ = ['ablation_configs', 'write_ablation_configs']

_TRAIN = 'errseg_convnext-{}_1xb4-80k_coco-stuff171-640x640.py'


def _literal(value) -> str:
    if isinstance(value, Mapping):
        return 'dict(' + ', '.join(f'{k}={_literal(v)}' for k, v in value.items()) + ')'
    if isinstance(value, list):
        return '[' + ', '.join(map(_literal, value)) + ']'
    if isinstance(value, tuple):
        return '(' + ', '.join(map(_literal, value)) + (',)' if len(value) == 1 else ')')
    return repr(value)


def _slug(train: Mapping) -> str:
    """``decode_head.class_removal=False`` -> ``no-class-removal``; ``sr_ratio=1`` -> ``sr-ratio-1``."""
    parts = []
    for key, value in sorted(train.items()):
        leaf = key.rsplit('.', 1)[-1].replace('_', '-')
        parts.append((leaf if value else f'no-{leaf}') if isinstance(value, bool)
                     else f'{leaf}-{str(value).replace("_", "-")}')
    return '-'.join(parts)


def ablation_configs() -> Dict[str, str]:
    """File name -> text of every ablation config the registry declares (variants that train their own model)."""
    bases = {m: Config.fromfile(str(CONFIG_DIR / 'errseg' / _TRAIN.format(m))) for m in ('b', 'l')}
    found: Dict[tuple, List[str]] = {}
    for exp, v in ((e, v) for e in EXPERIMENTS.values() for v in e.variants if v.measured and v.trains_own_model):
        base = bases[v.model].model
        changed = {k: x for k, x in v.train.items() if base[k.split('.')[0]].get(k.split('.')[1]) != x}
        if changed or v.train_crop:  # a variant equal to the official config trains the base config
            key = (v.model, tuple(sorted(changed.items())), v.train_crop)
            found.setdefault(key, []).append(f'{exp.title} "{v.label}"')
    files = {}
    for (size, changed, crop), users in found.items():
        crop = crop or 640
        name = f'errseg-{_slug(dict(changed)) or "crop"}_convnext-{size}_1xb4-80k_coco-stuff171-{crop}x{crop}.py'
        lines = [f'# {"; ".join(users)}: ERR-Seg-{size.upper()} trained as the paper with its switches of this '
                 'experiment.', '# Generated from the experiment registry by '
                 '`python -m mmseg_errseg.harness.ablation_configs`: do not edit.',
                 f"_base_ = '../{_TRAIN.format(size)}'"]
        model: Dict[str, dict] = {}  # 'decode_head.class_removal' -> dict(decode_head=dict(class_removal=...))
        for key, value in changed:
            part, leaf = key.split('.')
            model.setdefault(part, {})[leaf] = value
        if crop != 640:  # the training crop and the network input follow it
            pipeline = [dict(t, **({'scale': crop} if t['type'] == 'ResizeShortestEdge' else {'crop_size': (crop, crop)}
                                    if t['type'] == 'RandomCrop' else {}))
                        for t in bases[size].train_dataloader.dataset.pipeline]
            lines += [f'crop_size = ({crop}, {crop})', 'train_pipeline = [', *[f'    {_literal(t)},' for t in pipeline],
                      ']', 'train_dataloader = dict(dataset=dict(pipeline=train_pipeline))']
            model = dict(crop_size='@crop_size', data_preprocessor=dict(size='@crop_size'), **model)
        lines.append(f'model = {_literal(model)}'.replace("'@crop_size'", 'crop_size'))
        files[name] = '\n'.join(lines) + '\n'
    return dict(sorted(files.items()))


def write_ablation_configs(out_dir: Path = CONFIG_DIR / 'errseg' / 'ablations') -> List[Path]:
    """Write :func:`ablation_configs` to ``out_dir``, removing files it no longer generates."""
    out_dir, files = Path(out_dir), ablation_configs()
    for stale in set(p.name for p in out_dir.glob('*.py')) - set(files):
        (out_dir / stale).unlink()
    return [write_text(out_dir / name, text) for name, text in files.items()]


if __name__ == '__main__':
    for path in write_ablation_configs(*sys.argv[1:2]):
        print(path)
