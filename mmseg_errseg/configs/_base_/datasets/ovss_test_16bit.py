# 16-bit label maps (ids above 255, ignore 65535): the shared set-up with LoadFullRangeAnnotations.
_base_ = './ovss_test.py'
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='PillowResizeShortestEdge', scale=800, max_size=1333),  # the official input, see ovss_test.py
    dict(type='LoadFullRangeAnnotations'),  # MMSeg's LoadAnnotations casts to uint8, destroying ids above 255
    dict(type='PackSegInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_evaluator = dict(ignore_index=65535)
