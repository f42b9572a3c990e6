# Open-vocabulary evaluation of ERR-Seg-L (trained on COCO-Stuff-171) on PAS-20 at 768x768:
# the vocabulary is PAS-20's class names and the test-time P is the official one.
# errseg test THIS_CONFIG CHECKPOINT [--data-root data] writes the metrics record (mmengine's tools work too).
_base_ = ['./_base_/errseg_convnext-l_eval-768x768.py', '../_base_/datasets/voc20.py']
model = dict(vocabulary={{_base_.vocabulary}}, test_cfg=dict(num_selected={{_base_.test_num_selected}}))
