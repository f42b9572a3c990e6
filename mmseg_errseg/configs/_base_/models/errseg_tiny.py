# A tiny ERR-Seg for tests and smoke runs: timm's test_convnext in an OpenCLIP config
# (errseg_tiny_convnext, widths 24/32/48/64, embed dim 32, 1-layer text tower), 64x64 input.
_base_ = ['./errseg_convnext-b.py']
crop_size = (64, 64)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(model_name='errseg_tiny_convnext'),
    decode_head=dict(num_selected=4, dim=32, cost_embed_dim=32, guidance_inter_dim=32,
                     decoder_dims=(16, 16, 8), decoder_guidance_dims=(8, 8, 8)),
    crop_size=crop_size,
    test_cfg=dict(num_selected=4))
