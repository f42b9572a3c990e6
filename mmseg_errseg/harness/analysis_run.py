"""Analysis runs: Table 1 (``analysis.dataset_stats``) and Table 2 (``analysis.similarity``)."""
from pathlib import Path
from typing import Any, Dict

from ..analysis.dataset_stats import dataset_stats
from ..analysis.similarity import run_similarity
from .runs import Run

__all__ = ['run_analysis']


def run_analysis(run: Run, work_dir: Path, data_root: str) -> Dict[str, Any]:
    """Run an analysis and return what its record keeps: ``dataset_stats``, the Table 1 row of a benchmark;
    ``similarity``, the Table 2 rows, the encoder and the seen/unseen split files (below ``work_dir``)."""
    name = run.context['analysis']
    if name == 'dataset_stats':
        frame = dataset_stats([run.context['dataset']], data_root=data_root)
        return dict(rows=frame.astype(object).where(frame.notna(), None).to_dict(orient='records'))
    if name == 'similarity':
        spec = run.spec
        out = work_dir / 'analysis' / f'similarity-{run.key[:16]}'
        report = run_similarity(train=spec['train'], evals=spec['evals'], encoder=spec['encoder'], out_dir=out,
                                threshold=spec['threshold'], template=spec['template'], synonyms=spec['synonyms'],
                                progress=False)
        return dict(encoder=report.results[0].encoder, threshold=spec['threshold'],
                    table2=report.record['table2'],
                    splits={k: str((out / f'split_{k}.json').relative_to(work_dir)) for k in report.splits})
    raise ValueError(f'unknown analysis {name!r}')
