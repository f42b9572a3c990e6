# ADE20K (SceneParsing) validation, 2,000 images, 150 classes.
# Prepare with: errseg prepare ade150 --src ADEChallengeData2016 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['ade150'] (the tests check it).
dataset_type = 'ADE20K150Dataset'
data_root = 'data/'
vocabulary = 'ade150'
test_num_selected = 32  # test-time P of the official evaluation
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeShortestEdge', scale=800, max_size=1333),  # official; the model then resizes to its crop
    dict(type='LoadAnnotations'),  # after the resize: labels stay at the original size
    dict(type='PackSegInputs'),
]
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='ADEChallengeData2016/images/validation',
            seg_map_path='ADEChallengeData2016/annotations_detectron2/validation'),
        pipeline=test_pipeline))
test_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=255)
