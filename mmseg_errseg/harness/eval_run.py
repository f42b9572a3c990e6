"""Evaluation runs: a trained model on a benchmark, through ``mmseg_errseg.evaluation.evaluate``."""
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from ..datasets.benchmarks import get_benchmark
from ..utils import write_text
from .planner import extra_metrics
from .runs import Run

__all__ = ['model_files', 'run_evaluation']


def model_files(run: Run, work_dir: Path, store) -> Tuple[str, str]:
    """(config, checkpoint) of the model an evaluation run needs: a harness-trained model's from its training
    record; a given checkpoint's resolved training config is written once under ``<work_dir>/models/``."""
    source = run.context['source']
    if source.train_key is not None:
        record = store.get(source.train_key)
        if record is None:
            raise RuntimeError(f'the training of {source.label} has no record')
        result = record['result']
        return str(store.resolve(result['config'])), str(store.resolve(result['checkpoint']))
    config = work_dir / 'models' / source.key[:16] / 'config.py'
    if not config.is_file():
        write_text(config, source.config.pretty_text)
    return str(config), source.checkpoint


def run_evaluation(run: Run, work_dir: Path, store, data_root: str, num_workers: Optional[int] = None,
                   log_level: str = 'WARNING') -> Dict[str, Any]:
    """Evaluate a run's model on its benchmark (the Runner in a folder of ``work_dir``; training records
    from ``store``); returns :func:`~mmseg_errseg.evaluation.evaluate`'s record, with the class counts of
    ``ClassOverlapMetric`` in its ``metrics``."""
    from ..evaluation import evaluate

    config, checkpoint = model_files(run, work_dir, store)
    ctx = run.context
    bench = get_benchmark(ctx['dataset'])
    crop = (ctx['crop_size'], ctx['crop_size'])
    options = {'log_level': log_level, 'model.crop_size': crop, 'model.data_preprocessor.size': crop,
               'model.decode_head.top_k': ctx['top_k']}
    folder = work_dir / 'eval' / f'{run.slug}-{run.key[:16]}'
    record = evaluate(config, checkpoint, dataset=bench.name, data_root=data_root, out=str(folder / 'metrics.json'),
                      work_dir=str(folder), num_selected=ctx['num_selected'], num_workers=num_workers,
                      cfg_options=options, extra_metrics=extra_metrics(bench))
    record.pop('path', None)
    record['config'], record['checkpoint'] = store.relative(config), store.relative(checkpoint)
    return record
