# The open-vocabulary test set-up shared by the benchmarks (and COCO-Stuff's validation): the official test
# pipeline, one image per batch, per-class IoU. A benchmark's file sets its dataset, folders and label format.
data_root = 'data/'
test_pipeline = [
    # the official input pixel for pixel: detectron2 decodes and resizes with Pillow (bilinear, its rounding);
    # the model then resizes to its crop. MMSeg's ResizeShortestEdge (cv2) gives other pixels.
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='PillowResizeShortestEdge', scale=800, max_size=1333),
    dict(type='LoadAnnotations'),  # after the resize: labels stay at the original size
    dict(type='PackSegInputs'),
]
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=255)
