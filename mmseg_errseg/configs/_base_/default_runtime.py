default_scope = 'mmseg'
custom_imports = dict(imports=['mmseg_errseg'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
tta_model = None
# The model's vocabulary follows the dataset it runs on; resumed trainings restore the random states
# saved in the checkpoint (so they continue exactly as an uninterrupted one).
custom_hooks = [dict(type='VocabularyHook'), dict(type='RandomStateHook')]
