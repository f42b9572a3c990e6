"""The reproduction harness: the paper's experiments as data, planned into runs, recorded, viewed."""
from .experiments import Column, Experiment, Variant
from .paper_experiments import EXPERIMENTS, experiment_keys, get_experiment

__all__ = ['Column', 'Experiment', 'Variant', 'EXPERIMENTS', 'experiment_keys', 'get_experiment']
