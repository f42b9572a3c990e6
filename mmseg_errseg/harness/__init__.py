"""The reproduction harness (``errseg reproduce``): the paper's experiments as data, planned into runs, run
and recorded; tables and plots are views over the records, a layer above (``mmseg_errseg.views``)."""
from .executor import ExecutionContext, Outcome, execute
from .experiments import Column, Experiment, Variant
from .fingerprint import code_fingerprint
from .paper_experiments import EXPERIMENTS, experiment_keys
from .planner import Plan, PlanOptions, make_plan
from .record_store import RecordState, RecordStore
from .report import format_plan, format_status
from .reproduce import reproduce
from .runs import Run, run_key
from .scales import FULL, SMOKE, Scale
from .submitit_executor import job_resources, submit_plan

__all__ = ['Column', 'Experiment', 'Variant', 'EXPERIMENTS', 'experiment_keys', 'Plan', 'PlanOptions', 'make_plan',
           'RecordState', 'RecordStore', 'code_fingerprint', 'Run', 'run_key', 'ExecutionContext', 'Outcome', 'execute',
           'job_resources', 'submit_plan', 'format_plan', 'format_status', 'reproduce', 'Scale', 'FULL', 'SMOKE']
