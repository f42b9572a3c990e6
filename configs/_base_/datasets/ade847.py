# the full ADE20K validation set (2,000 images, 847 classes, 16-bit labels).
# Prepare with: errseg prepare ade847 --src ADE20K_2021_17_01 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['ade847'] (the tests check it).
dataset_type = 'ADE20K847Dataset'
data_root = 'data/'
vocabulary = 'ade847'
test_num_selected = 48  # test-time P of the official evaluation
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeShortestEdge', scale=800, max_size=1333),  # official; the model then resizes to its crop
    dict(type='LoadFullRangeAnnotations'),  # 16-bit ids kept; after the resize: original size
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
            img_path='ADE20K_2021_17_01/images_detectron2/validation',
            seg_map_path='ADE20K_2021_17_01/annotations_detectron2/validation'),
        pipeline=test_pipeline))
test_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=65535)
