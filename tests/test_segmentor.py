"""ERRSeg: vocabulary handling, text cache, prediction post-processing, errors."""
import warnings

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from conftest import TINY_VOCAB, build_model
from mmseg_errseg.vocabularies import make_palette


def test_vocabulary_validation(tiny_model):
    with pytest.raises(ValueError, match='empty'):
        tiny_model.vocabulary = []
    with pytest.raises(ValueError, match="duplicate class names: \\['cat'\\]"):
        tiny_model.vocabulary = ['cat', 'dog', 'cat']
    with pytest.raises(TypeError, match='list of class names'):
        tiny_model.vocabulary = 'cat, dog'
    with pytest.raises(RuntimeError, match='no vocabulary'):
        build_model(vocabulary=None).vocabulary
    tiny_model.set_vocabulary('voc20')
    assert tiny_model.num_classes == 20


def test_dataset_meta_sets_the_vocabulary(tiny_model):
    tiny_model.dataset_meta = dict(classes=('a', 'b', 'c'), palette=[[1, 2, 3]] * 3)
    assert tiny_model.vocabulary == ['a', 'b', 'c']
    assert tiny_model.dataset_meta['palette'] == [[1, 2, 3]] * 3
    tiny_model.dataset_meta = dict(classes=('x', 'y'))  # no palette given: one is generated (MMSeg needs it)
    assert tiny_model.dataset_meta['palette'] == make_palette(2).tolist()


def test_text_embeddings_cached_in_eval_only(tiny_model):
    tiny_model.train()
    a = tiny_model.text_embeddings()
    assert a.requires_grad and tiny_model.text_embeddings() is not a
    tiny_model.eval()
    b = tiny_model.text_embeddings()
    assert tiny_model.text_embeddings() is b and not b.requires_grad
    assert torch.allclose(a, b, atol=1e-6)
    assert torch.allclose(b.norm(dim=-1), torch.ones(len(TINY_VOCAB)))
    tiny_model.load_state_dict(tiny_model.state_dict())
    assert tiny_model.text_embeddings() is not b  # new weights invalidate the cache


def test_synonyms_first_prompts_only_the_first_name():
    first = build_model(vocabulary=['sky, heaven', 'sky']).eval().text_embeddings()
    assert torch.allclose(first[0], first[1], atol=1e-6)
    mean = build_model(vocabulary=['sky, heaven', 'sky'], synonyms='mean').eval().text_embeddings()
    assert not torch.allclose(mean[0], mean[1], atol=1e-4)


def test_predict_resizes_to_the_original_image_and_indexes_the_vocabulary(tiny_model):
    tiny_model.eval()
    sample = SegDataSample(metainfo=dict(ori_shape=(37, 53), img_shape=(64, 64)))
    with torch.no_grad():
        out = tiny_model.predict(torch.randn(1, 3, 64, 64), [sample])[0]
    pred = out.pred_sem_seg.data
    assert pred.shape == (1, 37, 53)
    assert set(pred.unique().tolist()) <= set(out.metainfo['kept_classes'].tolist())
    assert 'seg_logits' not in out


def test_output_logits_holds_full_vocabulary_probabilities(tiny_model):
    tiny_model.eval()
    tiny_model.test_cfg['output_logits'] = True
    with torch.no_grad():
        out = tiny_model.predict(torch.randn(1, 3, 64, 64))[0]
    probs = out.seg_logits.data
    assert probs.shape == (len(TINY_VOCAB), 64, 64)
    assert torch.equal(probs.argmax(0, keepdim=True), out.pred_sem_seg.data)
    dropped = sorted(set(range(len(TINY_VOCAB))) - set(out.metainfo['kept_classes'].tolist()))
    assert (probs[dropped] < 1e-40).all()


def test_crop_size_resize_matches_explicit_resize(tiny_model):
    tiny_model.eval()
    x = torch.randn(1, 3, 90, 70)
    with torch.no_grad():
        a = tiny_model(x, mode='tensor')
        b = tiny_model(torch.nn.functional.interpolate(x, size=(64, 64), mode='bilinear'), mode='tensor')
    assert torch.allclose(a, b)


def test_test_time_p_and_clamping(tiny_model):
    tiny_model.eval()
    tiny_model.test_cfg['num_selected'] = 2
    with torch.no_grad():
        logits = tiny_model(torch.randn(1, 3, 64, 64), mode='tensor')
    assert ((logits > -100).sum(1) == 2).all()
    tiny_model.test_cfg['num_selected'] = 50
    with pytest.warns(UserWarning, match=r'num_selected=50 is larger than the vocabulary \(8 classes\)'):
        with torch.no_grad():
            logits = tiny_model(torch.randn(1, 3, 64, 64), mode='tensor')
    assert (logits > -100).all()


def test_labels_outside_the_vocabulary_are_reported(tiny_model):
    sample = SegDataSample(metainfo=dict(ori_shape=(64, 64)))
    sample.gt_sem_seg = PixelData(data=torch.full((1, 64, 64), 20))
    with pytest.raises(ValueError, match=r'label values \[20\] are outside the vocabulary \[0, 8\)'):
        tiny_model.loss(torch.randn(1, 3, 64, 64), [sample])


def test_gt_classes_are_kept_in_training(tiny_model):
    sample = SegDataSample(metainfo=dict(ori_shape=(64, 64)))
    label = torch.full((1, 64, 64), 255)
    label[:, :10] = 6
    label[:, 10:20] = 1
    sample.gt_sem_seg = PixelData(data=label)
    labels = label.long()
    _, kept = tiny_model.decode(torch.randn(1, 3, 64, 64), 4, tiny_model._present_classes(labels))
    assert {1, 6} <= set(kept[0].tolist())


def test_aggregator_and_loss_are_swapped_from_the_config():
    from mmseg.registry import MODELS
    from mmseg_errseg.models import RRCA, ERRSegBCELoss

    @MODELS.register_module(force=True)
    class _ZeroAggregator(RRCA):
        def forward(self, x, *args):
            return torch.zeros_like(x)

    @MODELS.register_module(force=True)
    class _ConstantLoss(ERRSegBCELoss):
        def forward(self, *args):
            return torch.tensor(7.0)

    model = build_model(vocabulary=TINY_VOCAB, decode_head=dict(aggregator=dict(type='_ZeroAggregator')),
                        loss_decode=dict(type='_ConstantLoss', loss_name='loss_const')).eval()
    assert type(model.decode_head.rrca) is _ZeroAggregator and model.decode_head.rrca.layers[0].spatial is not None
    official = build_model(vocabulary=TINY_VOCAB).eval()
    official.load_state_dict(model.state_dict())  # same parameter names
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert not torch.allclose(model.decode(x, 4)[0], official.decode(x, 4)[0])
    sample = SegDataSample(metainfo=dict(ori_shape=(64, 64)))
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 64, 64, dtype=torch.long))
    assert model.loss(x, [sample]) == dict(loss_const=torch.tensor(7.0))


def test_the_backbone_does_not_import_the_head():
    import ast
    import mmseg_errseg.models.clip_convnext as backbone
    tree = ast.parse(open(backbone.__file__).read())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert 'errseg_head' not in imported and 'rrca' not in imported
