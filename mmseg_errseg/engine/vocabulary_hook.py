"""Open-vocabulary evaluation in mmengine's Runner: the vocabulary follows the dataset."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

__all__ = ['VocabularyHook']


@HOOKS.register_module()
class VocabularyHook(Hook):
    """Set the model's vocabulary to the class names of the dataset it runs on: validation and test switch
    to their dataset's classes, training resumes with the training set's."""
    priority = 'VERY_HIGH'

    @staticmethod
    def _set(runner, loop) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        meta = getattr(loop.dataloader.dataset, 'metainfo', None) or {}
        if meta.get('classes'):
            model.dataset_meta = meta

    def before_train(self, runner) -> None:
        self._set(runner, runner.train_loop)

    def before_val_epoch(self, runner) -> None:
        self._set(runner, runner.val_loop)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if getattr(runner, '_train_loop', None) is not None and not isinstance(runner._train_loop, dict):
            self._set(runner, runner.train_loop)

    def before_test_epoch(self, runner) -> None:
        self._set(runner, runner.test_loop)
