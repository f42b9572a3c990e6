# What every open-vocabulary evaluation of ERR-Seg-B (trained on COCO-Stuff-171) at 640x640 shares: the model,
# the runtime, mmengine's test loop and the hook that sets the model's vocabulary to the dataset's classes.
# The per-benchmark configs add the dataset and its official test-time P.
_base_ = ['../../_base_/models/errseg_convnext-b.py', '../../_base_/default_runtime.py']
test_cfg = dict(type='TestLoop')
custom_hooks = [dict(type='VocabularyHook')]
