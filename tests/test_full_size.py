"""Full-size models on CPU (slow: run with `pytest -m slow`)."""
import time

import pytest
import torch

from conftest import build_model

pytestmark = pytest.mark.slow


@pytest.mark.parametrize('config,crop,vocab,p', [
    ('_base_/models/errseg_convnext-b.py', 640, 'coco_stuff171', 32),
    ('_base_/models/errseg_convnext-b.py', 640, 'ade847', 48),
    ('_base_/models/errseg_convnext-l.py', 768, 'ade150', 32),
])
def test_full_size_predict_on_cpu(config, crop, vocab, p):
    torch.manual_seed(0)
    model = build_model(config, vocabulary=vocab, crop_size=(crop, crop), test_cfg=dict(num_selected=p)).eval()
    image = torch.randn(1, 3, 480, 640)
    start = time.perf_counter()
    with torch.no_grad():
        out = model.predict(image)[0]
    elapsed = time.perf_counter() - start
    assert out.pred_sem_seg.data.shape == (1, 480, 640)
    assert len(out.metainfo['kept_classes']) == p
    print(f'{config} {vocab} P={p} crop={crop}: predict {elapsed:.1f} s')


def test_full_size_training_step_on_cpu():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    model = build_model('_base_/models/errseg_convnext-b.py')
    sample = SegDataSample(metainfo=dict(ori_shape=(640, 640)))
    sample.gt_sem_seg = PixelData(data=torch.randint(0, 171, (1, 640, 640)))
    loss = model.loss(torch.randn(1, 3, 640, 640), [sample])['loss_sem_seg']
    loss.backward()
    assert torch.isfinite(loss)
