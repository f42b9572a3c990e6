# Table 13 "ConvNeXt-B": ERR-Seg-B trained as the paper with its switches of this experiment.
# Generated from the experiment registry by `python -m mmseg_errseg.harness.ablation_configs`: do not edit.
_base_ = '../errseg_convnext-b_1xb4-80k_coco-stuff171-640x640.py'
crop_size = (384, 384)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ResizeShortestEdge', scale=384, max_size=1333),
    dict(type='RandomCrop', crop_size=(384, 384), cat_max_ratio=1.0),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(crop_size=crop_size, data_preprocessor=dict(size=crop_size), backbone=dict(finetune='frozen'))
