# ERR-Seg-L as the official evaluation runs it (eval.sh): 768x768 inputs, the rest as trained.
_base_ = './errseg_convnext-l.py'
crop_size = (768, 768)
model = dict(crop_size=crop_size, data_preprocessor=dict(size=crop_size))
