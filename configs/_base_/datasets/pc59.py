# PC-59: PASCAL-Context validation, the 59 frequent classes (background ignored).
# Prepare with: errseg prepare pc59 --src VOCdevkit/VOC2010 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['pc59'] (the tests check it).
dataset_type = 'PascalContext59Dataset'
data_root = 'data/'
vocabulary = 'pc59'
test_num_selected = 24  # test-time P of the official evaluation
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
            img_path='VOCdevkit/VOC2010/JPEGImages',
            seg_map_path='VOCdevkit/VOC2010/annotations_detectron2/pc59_val'),
        pipeline=test_pipeline))
test_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=255)
