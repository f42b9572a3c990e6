# PC-459: PASCAL-Context validation (5,104 images), all 459 classes, 16-bit labels.
# Prepare with: errseg prepare pc459 --src VOCdevkit/VOC2010 --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['pc459'] (the tests check it).
dataset_type = 'PascalContext459Dataset'
data_root = 'data/'
vocabulary = 'pc459'
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
            img_path='VOCdevkit/VOC2010/JPEGImages',
            seg_map_path='VOCdevkit/VOC2010/annotations_detectron2/pc459_val'),
        pipeline=test_pipeline))
test_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=65535)
