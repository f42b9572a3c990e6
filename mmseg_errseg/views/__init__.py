"""Views over records (the layer above the harness): the paper's tables (one renderer) and plots (one
plotter), and a sweep's results folder."""
from .cells import Lookup, experiment_cells, plan_lookup, profile_metrics
from .results import write_results
from .tables import (SMOKE_BANNER, format_record, render_latex, render_markdown, wide_table, write_experiment,
                     write_table)

__all__ = ['Lookup', 'experiment_cells', 'plan_lookup', 'profile_metrics', 'write_results', 'SMOKE_BANNER',
           'format_record', 'render_latex', 'render_markdown', 'wide_table', 'write_experiment', 'write_table']

