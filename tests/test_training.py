"""Training: gradients reach exactly the trainable parameters; mmengine's Runner trains and resumes."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from PIL import Image

from conftest import CONFIGS, TINY_VOCAB, build_model


def test_every_trainable_parameter_receives_a_gradient_and_frozen_ones_do_not():
    model = build_model(vocabulary=TINY_VOCAB)
    samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(ori_shape=(64, 64)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, 8, (1, 64, 64)))
        samples.append(s)
    model.loss(torch.randn(2, 3, 64, 64), samples)['loss_sem_seg'].backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    assert trainable == with_grad
    assert any(n.startswith('backbone.clip.transformer') for n in trainable)  # text tower is tuned
    assert not any('os16_downsample' in n or 'token_embedding' in n for n in trainable)
    assert all(n in trainable for n, _ in model.decode_head.named_parameters(prefix='decode_head'))


def _make_dataset(root, n=4, size=64):
    """Images whose left/right halves have distinct colours labelled with two classes, plus ignore."""
    rng = np.random.default_rng(0)
    (root / 'img').mkdir(parents=True)
    (root / 'ann').mkdir()
    for i in range(n):
        a, b = rng.choice(4, 2, replace=False)
        img = np.zeros((size, size, 3), np.uint8)
        label = np.full((size, size), 255, np.uint8)
        img[:, : size // 2] = (60 * a, 255 - 60 * a, 40)
        img[:, size // 2:] = (60 * b, 40, 255 - 60 * b)
        label[4:, : size // 2], label[4:, size // 2:] = a, b
        Image.fromarray(img).save(root / 'img' / f'{i}.png')
        Image.fromarray(label).save(root / 'ann' / f'{i}.png')


def _runner_cfg(data_root, work_dir, max_iters):
    from mmengine.config import Config
    cfg = Config.fromfile(str(CONFIGS / '_base_/models/errseg_tiny.py'))
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
    cfg.merge_from_dict(dict(
        default_scope='mmseg',
        custom_imports=dict(imports=['mmseg_errseg'], allow_failed_imports=False),
        work_dir=str(work_dir),
        randomness=dict(seed=0),
        train_dataloader=dict(
            batch_size=2, num_workers=0, sampler=dict(type='InfiniteSampler', shuffle=True),
            dataset=dict(type='BaseSegDataset', data_root=str(data_root),
                         data_prefix=dict(img_path='img', seg_map_path='ann'),
                         img_suffix='.png', seg_map_suffix='.png',
                         metainfo=dict(classes=('red', 'green', 'blue', 'white')), pipeline=pipeline)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10 ** 6),
        optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4),
                           paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={'backbone': dict(lr_mult=0.01)})),
        param_scheduler=[],
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10)),
        custom_hooks=[dict(type='VocabularyHook')],
        log_level='ERROR'))
    return cfg


def test_runner_trains_with_decreasing_loss_and_resumes(tmp_path):
    from mmengine.runner import Runner
    _make_dataset(tmp_path / 'data')
    runner = Runner.from_cfg(_runner_cfg(tmp_path / 'data', tmp_path / 'work', 20))
    runner.train()
    model = runner.model
    assert model.vocabulary == ['red', 'green', 'blue', 'white']  # set by VocabularyHook
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 20 and np.isfinite(losses).all()
    assert losses[-5:].mean() < 0.9 * losses[:5].mean()

    # resume from the checkpoint of iteration 10 (mmengine objects load under weights_only)
    cfg = _runner_cfg(tmp_path / 'data', tmp_path / 'work2', 12)
    cfg.resume, cfg.load_from = True, str(tmp_path / 'work' / 'iter_10.pth')
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert resumed.iter == 12
    assert len(resumed.message_hub.get_scalar('train/loss').data[0]) == 12


@pytest.mark.parametrize('finetune,text_runs', [('frozen', 1), ('weight_visual', 1), ('weight', 3)])
def test_a_training_step_runs_the_text_tower_only_when_it_trains(finetune, text_runs):
    model = build_model(vocabulary=TINY_VOCAB, backbone=dict(finetune=finetune)).train()
    calls = []
    encode = model.backbone.encode_text
    model.backbone.encode_text = lambda tokens: calls.append(len(tokens)) or encode(tokens)
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    sample = SegDataSample(metainfo=dict(ori_shape=(64, 64)))
    sample.gt_sem_seg = PixelData(data=torch.randint(0, 8, (1, 64, 64)))
    for _ in range(3):
        optim.zero_grad()
        model.loss(torch.randn(1, 3, 64, 64), [sample])['loss_sem_seg'].backward()
        optim.step()
    assert len(calls) == text_runs  # frozen: the first step fills the cache, the others reuse it
    model.eval()
    cached = model.text_embeddings()
    model._text_cache.clear()
    assert torch.allclose(cached, model.text_embeddings(), atol=1e-6)  # still the current weights


@pytest.mark.parametrize('schedule', ['schedule_smoke.py', 'schedule_80k.py'])
def test_norms_and_embeddings_get_no_weight_decay_under_full_finetuning(schedule):
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(str(CONFIGS / '_base_/schedules' / schedule)).optim_wrapper
    cfg.type = 'OptimWrapper'  # AMP needs an accelerator; the parameter groups do not
    model = build_model(vocabulary=TINY_VOCAB, backbone=dict(finetune='full'))
    groups = build_optim_wrapper(model, cfg).optimizer.param_groups
    by_param = {id(p): g for g in groups for p in g['params']}
    norms = {id(p) for m in model.modules()
             if isinstance(m, (torch.nn.LayerNorm, torch.nn.GroupNorm, torch.nn.Embedding)) for p in m.parameters()}
    clip_norms = [n for n, p in model.named_parameters() if id(p) in norms and n.startswith('backbone.')]
    assert len(clip_norms) > 10 and 'backbone.clip.token_embedding.weight' in clip_norms
    for name, p in model.named_parameters():
        group = by_param[id(p)]
        assert group['weight_decay'] == (0.0 if id(p) in norms else 1e-4), name
        assert group['lr'] == pytest.approx(2e-6 if name.startswith('backbone.') else 2e-4), name
