"""Every ablation switch of the paper builds, runs train and test, and changes what it should."""
import pytest
import torch
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

from conftest import CONFIGS, TINY_VOCAB, build_model


def _batch(model, b=2, size=64):
    torch.manual_seed(1)
    inputs = torch.randn(b, 3, size, size)
    samples = []
    for i in range(b):
        s = SegDataSample(metainfo=dict(ori_shape=(size, size), img_shape=(size, size)))
        label = torch.randint(0, len(model.vocabulary), (1, size, size))
        label[:, :4] = 255
        s.gt_sem_seg = PixelData(data=label)
        samples.append(s)
    return inputs, samples


def _names(model):
    return {n for n, _ in model.named_parameters()}


SWITCHES = [
    dict(),
    dict(decode_head=dict(cost_maps='single', selection_map='os32')),
    dict(decode_head=dict(selection_map='os32')),
    dict(decode_head=dict(class_removal=False)),
    dict(decode_head=dict(sr_ratio=1)),
    dict(decode_head=dict(class_pool=1)),
    dict(decode_head=dict(mlp_type='vanilla')),
    dict(decode_head=dict(spatial_aggregation=False)),
    dict(decode_head=dict(class_aggregation=False)),
    dict(decode_head=dict(top_k=1, score_lambda=0.5)),
    dict(decode_head=dict(num_selected=2)),
    dict(backbone=dict(stage4_grad='os16')),
    dict(backbone=dict(stage4_grad='os32')),
    dict(backbone=dict(finetune='full')),
    dict(backbone=dict(finetune='frozen')),
    dict(exclude_ignore=True),
    dict(synonyms='mean'),
]


@pytest.mark.parametrize('overrides', SWITCHES, ids=lambda o: str(o) or 'official')
def test_switch_trains_and_predicts(overrides):
    model = build_model(vocabulary=TINY_VOCAB, **overrides)
    inputs, samples = _batch(model)
    loss = model(inputs, samples, mode='loss')['loss_sem_seg']
    assert torch.isfinite(loss)
    loss.backward()
    model.eval()
    with torch.no_grad():
        out = model(inputs, samples, mode='predict')
        logits = model(inputs, mode='tensor')
    assert out[0].pred_sem_seg.data.shape == (1, 64, 64)
    assert int(out[0].pred_sem_seg.data.max()) < len(TINY_VOCAB)
    assert logits.shape == (2, len(TINY_VOCAB), 16, 16)
    p = len(TINY_VOCAB) if overrides.get('decode_head', {}).get('class_removal') is False else 4
    assert ((logits > -100).sum(1) == p).all()  # exactly P classes kept per image


def test_switches_change_the_architecture():
    official = _names(build_model())
    assert not any('sr_k' in n for n in _names(build_model(decode_head=dict(sr_ratio=1))))
    assert any('layers.0.spatial.attn.sr_k' in n for n in official)
    assert not any('decode_head' in n and 'fc2' in n for n in _names(build_model(decode_head=dict(mlp_type='vanilla'))))
    assert not any('.spatial.' in n for n in _names(build_model(decode_head=dict(spatial_aggregation=False))))
    assert not any('.classes.' in n for n in _names(build_model(decode_head=dict(class_aggregation=False))))
    single = _names(build_model(decode_head=dict(cost_maps='single', selection_map='os32')))
    assert 'decode_head.rrhc.cost_embed.1.weight' not in single and 'decode_head.rrhc.cost_embed.1.weight' in official
    per_layer = build_model(decode_head=dict(sr_ratio=[2, 1, 2, 1]))
    assert [layer.spatial.attn.sr_ratio for layer in per_layer.decode_head.rrca.layers] == [2, 1, 2, 1]


def test_single_cost_maps_skip_the_os16_embedding():
    model = build_model(vocabulary=TINY_VOCAB, decode_head=dict(cost_maps='single', selection_map='os32')).eval()
    feats = model.extract_feat(torch.randn(1, 3, 64, 64))
    assert feats.os16_dense is None and feats.os32_dense.shape == (1, 32, 2, 2)


def test_selection_map_decides_which_cost_map_is_scored(monkeypatch):
    import mmseg_errseg.models.rrhc as rrhc
    seen = []
    real = rrhc.class_scores
    monkeypatch.setattr(rrhc, 'class_scores', lambda cost, *a: seen.append(cost.shape[-1]) or real(cost, *a))
    for selection, width in (('os16', 4), ('os32', 2)):
        model = build_model(vocabulary=TINY_VOCAB, decode_head=dict(selection_map=selection)).eval()
        with torch.no_grad():
            model(torch.randn(1, 3, 64, 64), mode='tensor')
        assert seen.pop() == width


@pytest.mark.parametrize('overrides,match', [
    (dict(decode_head=dict(cost_maps='single')), "selection_map='os32'"),
    (dict(decode_head=dict(cost_maps='double')), 'cost_maps must be one of'),
    (dict(decode_head=dict(selection_map='os8')), 'selection_map must be one of'),
    (dict(decode_head=dict(mlp_type='gelu')), 'mlp_type must be one of'),
    (dict(decode_head=dict(score_lambda=1.5)), r'score_lambda must be in \(0, 1\)'),
    (dict(decode_head=dict(top_k=0)), 'top_k must be >= 1'),
    (dict(decode_head=dict(sr_ratio=[2, 2])), 'sr_ratio has 2 entries for 4 layers'),
    (dict(backbone=dict(finetune='half')), 'finetune must be one of'),
    (dict(backbone=dict(stage4_grad='all')), 'stage4_grad must be one of'),
    (dict(backbone=dict(model_name='ViT-B-16')), 'not an OpenCLIP model with a timm ConvNeXt'),
    (dict(backbone=dict(model_name='convnext_nope')), 'unknown OpenCLIP model'),
    (dict(crop_size=(60, 64)), 'multiples of 32'),
    (dict(synonyms='all'), 'synonyms must be one of'),
    (dict(prompt_template='a photo'), r'needs a \{\}'),
    (dict(decode_head=dict(embed_dim=640)), 'does not match the backbone'),
])
def test_bad_switch_values_are_named(overrides, match):
    with pytest.raises(ValueError, match=match):
        build_model(**overrides)


# Every switch of README's table, with the same weights as the official model, must change what it
# claims to change: the output, the class scores that select, the loss, the gradients or the trained set.
EFFECTIVE_SWITCHES = [
    ('num_selected', 'logits', dict(decode_head=dict(num_selected=2), test_cfg=dict(num_selected=2))),
    ('top_k', 'scores', dict(decode_head=dict(top_k=1))),
    ('score_lambda', 'scores', dict(decode_head=dict(score_lambda=0.5))),
    ('selection_map', 'scores', dict(decode_head=dict(selection_map='os32'))),
    ('class_removal', 'logits', dict(decode_head=dict(class_removal=False))),
    ('cost_maps', 'logits', dict(decode_head=dict(cost_maps='single', selection_map='os32'))),
    ('sr_ratio', 'logits', dict(decode_head=dict(sr_ratio=1))),
    ('class_pool', 'logits', dict(decode_head=dict(class_pool=1))),
    ('mlp_type', 'logits', dict(decode_head=dict(mlp_type='vanilla'))),
    ('spatial_aggregation', 'logits', dict(decode_head=dict(spatial_aggregation=False))),
    ('class_aggregation', 'logits', dict(decode_head=dict(class_aggregation=False))),
    ('stage4_grad=os16', 'grads', dict(backbone=dict(stage4_grad='os16'))),
    ('stage4_grad=os32', 'grads', dict(backbone=dict(stage4_grad='os32'))),
    ('finetune=full', 'trainable', dict(backbone=dict(finetune='full'))),
    ('finetune=frozen', 'trainable', dict(backbone=dict(finetune='frozen'))),
    ('finetune=weight_visual', 'trainable', dict(backbone=dict(finetune='weight_visual'))),
    ('exclude_ignore', 'loss', dict(exclude_ignore=True)),
    ('synonyms', 'logits', dict(synonyms='mean')),
]


def _signature(overrides, weights, monkeypatch):
    """What a switch can change, for one model built with ``overrides`` and loaded with ``weights``."""
    import mmseg_errseg.models.rrhc as rrhc
    overrides = dict(overrides, decode_head=dict(overrides.get('decode_head', {}), drop_path_step=0.0))
    model = build_model(vocabulary=TINY_VOCAB, **overrides)
    model.load_state_dict(weights, strict=False)
    scores = []
    real = rrhc.class_scores
    monkeypatch.setattr(rrhc, 'class_scores', lambda *a: scores.append(real(*a)) or scores[-1])
    inputs, samples = _batch(model)
    model.eval()
    with torch.no_grad():
        logits = model(inputs, mode='tensor')
    model.train()
    loss = model(inputs, samples, mode='loss')['loss_sem_seg']
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return dict(logits=logits, scores=scores[0] if scores else None, loss=loss.detach(), grads=grads,
                trainable={n for n, p in model.named_parameters() if p.requires_grad})


def _same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and torch.allclose(a, b, atol=1e-6)
    return a == b


@pytest.mark.parametrize('name,what,overrides', EFFECTIVE_SWITCHES, ids=[n for n, *_ in EFFECTIVE_SWITCHES])
def test_every_switch_changes_the_output_or_the_training(name, what, overrides, monkeypatch):
    torch.manual_seed(0)
    weights = build_model(vocabulary=TINY_VOCAB).state_dict()
    official = _signature({}, weights, monkeypatch)
    assert all(_same(official[k], v) for k, v in _signature({}, weights, monkeypatch).items())  # deterministic
    switched = _signature(overrides, weights, monkeypatch)
    changed = [k for k in official if not _same(official[k], switched[k])]
    assert what in changed, f'{name} did not change the {what} (changed: {changed})'


@pytest.mark.parametrize('name,what,overrides', EFFECTIVE_SWITCHES, ids=[n for n, *_ in EFFECTIVE_SWITCHES])
def test_has_unused_parameters_says_when_a_trainable_parameter_gets_no_gradient(name, what, overrides,
                                                                               monkeypatch):
    from mmengine.config import Config
    from mmseg_errseg.models import has_unused_parameters
    cfg = Config.fromfile(str(CONFIGS / '_base_/models/errseg_tiny.py'))
    cfg.merge_from_dict({f'model.{k}': v for k, v in overrides.items()})
    sig = _signature(overrides, build_model(vocabulary=TINY_VOCAB).state_dict(), monkeypatch)
    unused = sig['trainable'] - set(sig['grads'])
    assert bool(unused) == has_unused_parameters(cfg.model), sorted(unused)
