# Open-vocabulary evaluation of ERR-Seg-B (trained on COCO-Stuff-171) on PC-459 at 640x640:
# the vocabulary is PC-459's class names and the test-time P is the official one.
# errseg test THIS_CONFIG CHECKPOINT [--data-root data] writes the metrics record (mmengine's tools work too).
_base_ = ['./_base_/errseg_convnext-b_eval-640x640.py', '../_base_/datasets/pc459.py']
model = dict(vocabulary={{_base_.vocabulary}}, test_cfg=dict(num_selected={{_base_.test_num_selected}}))
