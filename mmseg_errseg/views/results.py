"""The results folder of a sweep: every selected table and plot, the cells, provenance and an index."""
import datetime
import os
from pathlib import Path
from typing import Any, Dict, List, Optional

import pandas as pd

from ..utils import write_json, write_text
from ..harness.executor import Outcome, why_missing
from ..harness.planner import Plan, experiment_runs
from ..harness.record_store import RecordStore
from .cells import experiment_cells, plan_lookup
from .plots import write_plot
from .tables import SMOKE_BANNER, write_experiment

__all__ = ['write_results']


def write_results(plan: Plan, store: RecordStore, outcome: Optional[Outcome], out_dir: Path,
                  provenance: Dict[str, Any], echo=print) -> List[Path]:
    """Write every selected table (CSV, Markdown, LaTeX, cells) and plot, ``provenance`` (with each run's) and
    an index under ``out_dir``; returns the files. ``outcome``: what the sweep did (``None``: nothing ran now)."""
    smoke, out = plan.options.scale.smoke, Path(out_dir)
    reason = why_missing(plan, outcome)
    lookup = plan_lookup(plan, store, reason)
    line = f'Produced by `{provenance["command"]}` (revision {provenance.get("revision") or "unknown"}); ' \
           'see provenance.json.'
    files, all_cells, index, records = [], [], [], []
    by_exp = experiment_runs(plan)
    for exp in plan.experiments:
        cells = experiment_cells(exp, lookup, store.resolve, smoke)
        written = write_experiment(exp, cells, out, smoke, line)
        if exp.plot:
            written.append(write_plot(exp, cells, out, smoke))
        files += written
        all_cells.append(cells)
        index.append(f'| {exp.title} | {exp.caption} | {int(cells["ours"].notna().sum())} of {len(cells)} | '
                     + ', '.join(f'[{p.suffix[1:] if not p.name.endswith("_cells.csv") else "cells"}]({p.name})'
                                 for p in written) + ' |')
        for key in by_exp[exp.key]:
            run = plan.runs[key]
            record = store.get(key)
            produced = None
            if record:  # the run's own provenance: records may come from an earlier revision or command
                p = record.get('provenance', {})
                produced = dict(created=record.get('created'), seconds=record.get('seconds'), command=p.get('command'),
                                revision=p.get('revision'), device=p.get('environment', {}).get('device'))
            records.append(dict(experiment=exp.key, key=key, kind=run.kind, label=run.label,
                                record=store.relative(store.path(key)) if record else None, produced=produced,
                                missing=None if record else reason(key)))
    files.append(write_text(out / f'cells{"_smoke" if smoke else ""}.csv', pd.concat(all_cells, ignore_index=True).drop(
        columns=['digits', 'comparable']).to_csv(index=False, float_format='%.6g')))
    summary = dict(runs=len(plan.runs), recorded=sum(k in store for k in plan.runs),
                   ran_now=len(outcome.ran) if outcome else 0, failed=len(outcome.failed) if outcome else 0,
                   cannot_run=sum(k not in store and bool(r.blocked) for k, r in plan.runs.items()))
    prov = dict(provenance, finished=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(
        timespec='seconds'), scale=plan.options.scale.name, smoke=smoke, summary=summary, runs=records,
        files=[os.path.relpath(p, out) for p in files])
    files.append(write_json(out / 'provenance.json', prov))
    env = provenance.get('environment', {})
    readme = [f'# Reproduction of the paper\'s tables and figures{" [SMOKE]" if smoke else ""}', '',
              *([f'**{SMOKE_BANNER}**', ''] if smoke else []),
              f'Command: `{provenance["command"]}`  ', f'Revision: {provenance.get("revision") or "unknown"}  ',
              f'Finished: {prov["finished"]}  ',
              'Records made by: ' + ('; '.join(sorted({f'`{r["produced"]["command"]}` at {r["produced"]["revision"]}'
                                                      for r in records if r['produced']})) or 'none') + '  ',
              'Environment: ' + ', '.join(f'{k} {env[k]}' for k in ('torch', 'mmseg', 'mmengine', 'python', 'device')
                                          if k in env) + '  ',
              f'Runs: {summary["runs"]} ({summary["recorded"]} recorded, {summary["cannot_run"]} cannot run with '
              f'the options given, {summary["failed"]} failed); every run and why a record is missing: '
              '`provenance.json`.', '',
              '| | caption | cells measured | files |', '|---|---|---|---|', *index, '']
    files.append(write_text(out / 'README.md', '\n'.join(readme)))
    echo(f'results: {len(files)} files in {out} (index: {out / "README.md"})')
    return files
