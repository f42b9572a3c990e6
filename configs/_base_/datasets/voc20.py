# PAS-20: PASCAL VOC 2012 validation (1,449 images), 20 classes (background ignored).
# Prepare with: errseg prepare voc20 --src VOCdevkit/VOC2012 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['voc20'] (the tests check it).
dataset_type = 'PascalVOC20Dataset'
data_root = 'data/'
vocabulary = 'voc20'
test_num_selected = 16  # test-time P of the official evaluation
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
            img_path='VOCdevkit/VOC2012/JPEGImages',
            seg_map_path='VOCdevkit/VOC2012/annotations_detectron2/val'),
        pipeline=test_pipeline))
test_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=255)
