# Table 11 "SSR off, CSR off": ERR-Seg-B trained as the paper with its switches of this experiment.
# Generated from the experiment registry by `python -m mmseg_errseg.harness.ablation_configs`: do not edit.
_base_ = '../errseg_convnext-b_1xb4-80k_coco-stuff171-640x640.py'
model = dict(decode_head=dict(class_pool=1, sr_ratio=1))
