# Smoke scale of `errseg reproduce --smoke`: the tiny ERR-Seg (configs/_base_/models/errseg_tiny.py) trained
# for 6 iterations (batch 2 in total) on generated COCO-Stuff-171 data at 128x128 (the paper's 640 / 5).
# Every switch of the paper is inherited from the official config; the harness's variants override them.
# Not a result: a check that every experiment's machinery runs.
_base_ = [
    '../_base_/models/errseg_tiny.py', '../_base_/datasets/coco_stuff171.py',
    '../_base_/schedules/schedule_smoke.py', '../_base_/default_runtime.py'
]
crop_size = (128, 128)
model = dict(
    crop_size=crop_size,
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_selected=32),  # the official training P (the tiny base config uses 4)
    vocabulary={{_base_.vocabulary}},
    test_cfg=dict(num_selected={{_base_.test_num_selected}}))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ResizeShortestEdge', scale=128, max_size=1333),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False)
val_dataloader = None
val_evaluator = None
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
