# Smoke schedule (the harness's toy scale): the official optimiser settings without AMP (CPU),
# a 2-iteration warm-up + cosine over 6 iterations, a checkpoint every 3 iterations (so an
# interrupted run resumes), no validation.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={'backbone': dict(lr_mult=0.01)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=2),
    dict(type='CosineAnnealingLR', T_max=6, eta_min=0.0, by_epoch=False, begin=0, end=6),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=6, val_interval=6)
val_cfg = None
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=3, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = [dict(type='VocabularyHook')]
