# ERR-Seg-L: OpenCLIP ConvNeXt-L (convnext_large_d_320, laion2b_s29b_b131k_ft_soup).
# Trained at 640 like B; evaluated at 768 (errseg_convnext-l_768.py).
# decoder_dims: the released L yaml sets (64, 32, 16); the official code default is (128, 64, 32).
# `errseg convert-official` reads the dims off a checkpoint and reports a mismatch.
_base_ = ['./errseg_convnext-b.py']
model = dict(
    backbone=dict(model_name='convnext_large_d_320'),
    decode_head=dict(decoder_dims=(64, 32, 16)))
