# COCO-Stuff (COCO 2017 images, 171 classes): the training set (118,287 images) and its validation set (5,000).
# Prepare with: errseg prepare coco_stuff171 --src coco-stuff --dst data
# Follows mmseg_errseg.datasets.BENCHMARKS['coco_stuff171'] (the tests check it).
dataset_type = 'COCOStuff171Dataset'
data_root = 'data/'
vocabulary = 'coco_stuff171'
test_num_selected = 32
# official training augmentation (detectron2 mask_former_semantic mapper, COLOR_AUG_SSD)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='ResizeShortestEdge', scale=640, max_size=1333),
    dict(type='RandomCrop', crop_size=(640, 640), cat_max_ratio=1.0),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    # the official input pixel for pixel: detectron2 decodes and resizes with Pillow (bilinear, its rounding);
    # the model then resizes to its crop. MMSeg's ResizeShortestEdge (cv2) gives other pixels.
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='PillowResizeShortestEdge', scale=800, max_size=1333),
    dict(type='LoadAnnotations'),  # after the resize: labels stay at the original size
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='coco-stuff/images/train2017',
            seg_map_path='coco-stuff/annotations_detectron2/train2017'),
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='coco-stuff/images/val2017',
            seg_map_path='coco-stuff/annotations_detectron2/val2017'),
        pipeline=test_pipeline))
test_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=255)
val_dataloader = test_dataloader
val_evaluator = test_evaluator
