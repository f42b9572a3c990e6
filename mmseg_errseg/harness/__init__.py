"""The reproduction harness: the paper's experiments as data, planned into runs, recorded, viewed.

``errseg reproduce`` is the command line (:func:`reproduce`); the pieces: the
experiment declarations (:data:`EXPERIMENTS`), the scales (:data:`SCALES`),
the planner (:func:`make_plan`), the record store (:class:`RecordStore`) and
the executor (:func:`execute`). Tables and plots are views over the records, a
layer above (``mmseg_errseg.views``).
"""
from .executor import ExecutionContext, Outcome, execute
from .experiments import Column, Experiment, Variant
from .paper_experiments import EXPERIMENTS, experiment_keys, get_experiment
from .planner import Plan, PlanOptions, make_plan
from .record_store import RecordStore
from .reproduce import ReproduceOptions, reproduce
from .runs import Run, run_key
from .scales import FULL, SCALES, SMOKE, Scale

__all__ = [
    'Column', 'Experiment', 'Variant', 'EXPERIMENTS', 'experiment_keys', 'get_experiment', 'Plan', 'PlanOptions',
    'make_plan', 'RecordStore', 'Run', 'run_key', 'ExecutionContext', 'Outcome', 'execute', 'ReproduceOptions',
    'reproduce', 'Scale', 'SCALES', 'FULL', 'SMOKE'
]
