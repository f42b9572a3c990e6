# ERR-Seg-B: OpenCLIP ConvNeXt-B (convnext_base_w_320, laion_aesthetic_s13b_b82k), official settings.
# Every switch of the paper's ablations is spelled out with its official value.
crop_size = (640, 640)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # both released configs override OpenAI CLIP's mean/std
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)  # training batches are padded to the crop size, as detectron2's size_divisibility
model = dict(
    type='ERRSeg',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='OpenCLIPConvNeXt',
        model_name='convnext_base_w_320',
        pretrained=None,  # a local OpenCLIP/ERR-Seg file, or the tag 'laion_aesthetic_s13b_b82k'
        finetune='weight',
        stage4_grad='both'),
    decode_head=dict(
        type='ERRSegHead',
        num_selected=32,  # P at training
        top_k=3,
        score_lambda=0.1,
        selection_map='os16',
        class_removal=True,
        cost_maps='hierarchical',
        sr_ratio=2,
        class_pool=2,
        mlp_type='star',
        spatial_aggregation=True,
        class_aggregation=True,
        decoder_dims=(64, 32, 16)),
    vocabulary='coco_stuff171',
    crop_size=crop_size,
    ignore_index=255,
    exclude_ignore=False,
    test_cfg=dict(num_selected=32))
# Inference on single images (mmseg.apis.inference_model); dataset configs override it.
# As detectron2 did for the official model: shortest edge 800, then the model resizes to crop_size.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeShortestEdge', scale=800, max_size=1333),
    dict(type='PackSegInputs'),
]
