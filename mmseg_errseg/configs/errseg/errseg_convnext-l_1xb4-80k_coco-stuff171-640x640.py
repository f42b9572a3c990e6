# ERR-Seg-L trained as the paper (Sec. 4.1): COCO-Stuff-171, 640x640 crops, P=32, batch 4
# in total (the official IMS_PER_BATCH; here one process x 4), 80k iterations, AMP; COCO-Stuff val at the end.
# Evaluate on the five benchmarks with `errseg test THIS_CONFIG CHECKPOINT --dataset ade847` (vocabulary,
# test-time P and data set follow the dataset) or with errseg_convnext-l_eval-*.py.
_base_ = [
    '../_base_/models/errseg_convnext-l.py', '../_base_/datasets/coco_stuff171.py',
    '../_base_/schedules/schedule_80k.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(pretrained='laion2b_s29b_b131k_ft_soup'),  # OpenCLIP weights (tag: downloaded; or a local file)
    vocabulary={{_base_.vocabulary}},
    test_cfg=dict(num_selected={{_base_.test_num_selected}}))
