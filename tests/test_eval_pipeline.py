"""The evaluation input is the official one: detectron2's test mapper, pixel for pixel.

Reference (ERR-Seg / CAT-Seg evaluation, detectron2): the image read with
Pillow (RGB), resized as a uint8 array with ``PIL.Image.resize(BILINEAR)`` to
``ResizeShortestEdge(800, max_size=1333)``'s size, then normalised with the
CLIP mean/std; the model resizes that to its crop. Checked here from the file
on disk to the tensor ``model.predict`` receives, for every config's test pipeline.
"""
import json

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from PIL import Image

from conftest import CONFIGS
from mmseg_errseg.datasets import BENCHMARKS, shortest_edge_size
from mmseg_errseg.datasets import test_pipeline as official_test_pipeline

# (H, W): landscape, portrait, long side capped at 1333 (both orientations), tiny, a square
SIZES = [(48, 64), (427, 640), (64, 148), (148, 64), (5, 7), (33, 33)]


def _detectron2_size(h, w, short=800, max_size=1333):
    """The rounding as the issue states it (scale from the original sides)."""
    scale = short / min(h, w)
    if max(h, w) * scale > max_size:
        scale = max_size / max(h, w)
    return int(h * scale + 0.5), int(w * scale + 0.5)


def _config_pipelines():
    """Every distinct test pipeline a shipped config evaluates with, and the registry's."""
    found = {}
    paths = sorted((CONFIGS / '_base_' / 'datasets').glob('*.py')) + sorted((CONFIGS / 'errseg').glob('*.py'))
    for path in paths:
        cfg = Config.fromfile(str(path))
        if cfg.get('test_dataloader'):
            pipeline = cfg.test_dataloader.dataset.pipeline
            found.setdefault(json.dumps(pipeline, sort_keys=True), path.name)
    for b in BENCHMARKS.values():
        found.setdefault(json.dumps(official_test_pipeline(b), sort_keys=True), f'registry:{b.name}')
    return {name: json.loads(p) for p, name in found.items()}


PIPELINES = _config_pipelines()


def test_every_config_and_the_registry_use_the_official_resize():
    assert len(PIPELINES) == 2  # 8-bit and 16-bit labels: one pipeline each
    for name, pipeline in PIPELINES.items():
        types = [t['type'] for t in pipeline]
        assert types[:2] == ['LoadImageFromFile', 'PillowResizeShortestEdge'], name
        assert pipeline[0]['imdecode_backend'] == 'pillow' and pipeline[1]['scale'] == 800
        assert pipeline[1]['max_size'] == 1333 and types[2] in ('LoadAnnotations', 'LoadFullRangeAnnotations')


@pytest.mark.parametrize('h,w', SIZES + [(9, 3000), (1, 1)])
def test_detectron2_rounding(h, w):
    assert shortest_edge_size(h, w, 800, 1333) == _detectron2_size(h, w)
    assert shortest_edge_size(64, 148, 800, 1333) == (576, 1333)  # mmcv's rescale gives 576x1332


def _write(tmp_path, h, w, bits, suffix):
    rng = np.random.default_rng(h * 1000 + w)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    img_path = str(tmp_path / f'img{suffix}')
    Image.fromarray(img).save(img_path, quality=90)
    label = rng.integers(0, 300 if bits == 16 else 150, (h, w)).astype(np.uint16 if bits == 16 else np.uint8)
    seg_path = str(tmp_path / ('seg.tif' if bits == 16 else 'seg.png'))
    Image.fromarray(label).save(seg_path)
    return img_path, seg_path, label


def _preprocessor(config):
    init_default_scope('mmseg')
    return MODELS.build(Config.fromfile(str(CONFIGS / config)).model.data_preprocessor)


@pytest.mark.parametrize('suffix', ['.png', '.jpg'])
@pytest.mark.parametrize('name', sorted(PIPELINES))
def test_network_input_equals_the_official_one(tmp_path, name, suffix):
    pipeline = PIPELINES[name]
    init_default_scope('mmseg')
    transform = Compose(pipeline)
    bits = 16 if pipeline[2]['type'] == 'LoadFullRangeAnnotations' else 8
    preprocessors = [_preprocessor(c) for c in ('_base_/models/errseg_convnext-b.py', '_base_/models/errseg_tiny.py')]
    for h, w in SIZES:
        img_path, seg_path, label = _write(tmp_path, h, w, bits, suffix)
        packed = transform(dict(img_path=img_path, seg_map_path=seg_path, reduce_zero_label=False, seg_fields=[]))
        newh, neww = _detectron2_size(h, w)
        official = np.asarray(Image.open(img_path).convert('RGB').resize((neww, newh), Image.BILINEAR))
        # the pipeline keeps MMSeg's BGR order; the data preprocessor turns it to RGB
        assert torch.equal(packed['inputs'], torch.from_numpy(official[..., ::-1].copy()).permute(2, 0, 1))
        # labels stay at the original size, ids unchanged (the evaluator reads the file as is)
        assert np.array_equal(packed['data_samples'].gt_sem_seg.data[0].numpy(), label)
        assert packed['data_samples'].ori_shape == (h, w)
        for pre in preprocessors:
            inputs = pre(dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]), False)['inputs']
            # detectron2's model: (image - clip_pixel_mean) / clip_pixel_std on the uint8 RGB tensor
            x = torch.from_numpy(official.copy()).permute(2, 0, 1)
            expected = (x - pre.mean) / pre.std
            assert inputs.dtype == torch.float32 and torch.equal(inputs, expected[None])


def test_cv2_variant_is_mmseg_resize_and_differs(tmp_path):
    b = BENCHMARKS['ade150']
    assert official_test_pipeline(b, 'cv2')[:2] == [dict(type='LoadImageFromFile'),
                                          dict(type='ResizeShortestEdge', scale=800, max_size=1333)]
    with pytest.raises(ValueError, match="resize_backend must be one of \\('pillow', 'cv2'\\), got 'cv3'"):
        official_test_pipeline(b, 'cv3')
    init_default_scope('mmseg')
    img_path, seg_path, _ = _write(tmp_path, 64, 148, 8, '.png')
    outs = [Compose(official_test_pipeline(b, backend))(dict(img_path=img_path, seg_map_path=seg_path,
                                                  reduce_zero_label=False, seg_fields=[]))['inputs']
            for backend in ('pillow', 'cv2')]
    assert outs[0].shape[-2:] == (576, 1333) and outs[1].shape[-2:] == (576, 1332)


def test_resize_rejects_float_images_and_resizes_label_fields_nearest():
    from mmseg_errseg.datasets import PillowResizeShortestEdge
    t = PillowResizeShortestEdge(scale=8, max_size=100)
    with pytest.raises(TypeError, match='resizes uint8 images.*float32'):
        t(dict(img=np.zeros((4, 4, 3), np.float32)))
    seg = np.arange(16, dtype=np.uint8).reshape(4, 4)
    out = t(dict(img=np.zeros((4, 4, 3), np.uint8), gt_seg_map=seg, seg_fields=['gt_seg_map']))
    assert out['img'].shape == (8, 8, 3) and out['img_shape'] == (8, 8)
    assert np.array_equal(out['gt_seg_map'], seg.repeat(2, 0).repeat(2, 1))
    with pytest.raises(ValueError, match='interpolation must be one of'):
        PillowResizeShortestEdge(interpolation='cubic')


def test_prediction_is_the_official_postprocessing():
    # official: sigmoid of the (B, T, h, w) output (-100 off the kept classes), sem_seg_postprocess (no
    # padding at test: a bilinear resize, align_corners=False, to the original size), argmax over T
    import torch.nn.functional as F
    from mmseg.structures import SegDataSample

    from conftest import TINY_VOCAB, build_model
    model = build_model(vocabulary=TINY_VOCAB).eval()  # keeps P = 4 of the 8 classes
    x = torch.randn(1, 3, 100, 150)
    sample = SegDataSample(metainfo=dict(ori_shape=(37, 53), img_shape=(100, 150)))
    with torch.no_grad():
        pred = model.predict(x, [sample])[0].pred_sem_seg.data[0]
        probs = model.encode_decode(x).sigmoid()
    official = F.interpolate(probs, size=(37, 53), mode='bilinear', align_corners=False)[0].argmax(0)
    assert pred.shape == (37, 53) and torch.equal(pred, official)
    assert len(official.unique()) > 1  # not a constant map
