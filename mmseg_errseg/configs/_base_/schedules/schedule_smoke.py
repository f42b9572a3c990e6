# Smoke schedule (the harness's toy scale): the official optimiser settings without AMP (CPU),
# a 2-iteration warm-up + cosine over 6 iterations, a checkpoint every 3 iterations (so an
# interrupted run resumes), no validation (the visualization hook draws nothing unless asked).
_base_ = ['./schedule_80k.py']
optim_wrapper = dict(type='OptimWrapper')
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=2),
    dict(type='CosineAnnealingLR', T_max=6, eta_min=0.0, by_epoch=False, begin=0, end=6),
]
train_cfg = dict(max_iters=6, val_interval=6)
val_cfg = None
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=3, max_keep_ckpts=2))
