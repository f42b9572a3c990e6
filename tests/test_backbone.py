"""OpenCLIP ConvNeXt encoder: features, F3^s, weights loading, fine-tuning, stage-4 gradients."""
import pytest
import torch
import torch.nn.functional as F

from mmseg_errseg.models import OpenCLIPConvNeXt
from mmseg_errseg.models.clip_finetune import is_weight_strategy_trainable


def _tiny(**kw):
    torch.manual_seed(0)
    return OpenCLIPConvNeXt(model_name='errseg_tiny_convnext', **kw)


def test_features_and_the_os16_dense_embedding():
    enc = _tiny().eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = enc(x)
        trunk, visual = enc.clip.visual.trunk, enc.clip.visual
        s = [trunk.stages[0](trunk.stem(x))]
        for i in (1, 2, 3):
            s.append(trunk.stages[i](s[-1]))
        # Eq. 2: stage-3 output -> stride-1 copy of stage-4 downsampling -> resize -> stage-4 blocks -> head
        f3 = F.interpolate(enc.os16_downsample(s[2]), size=s[2].shape[-2:], mode='bilinear')
        f3 = trunk.stages[3].blocks(f3)
        f3 = visual.head(trunk.head(f3.permute(0, 2, 3, 1).reshape(-1, f3.shape[1], 1, 1)))
    assert [tuple(g.shape[1:]) for g in feats.guidances] == [(24, 16, 16), (32, 8, 8), (48, 4, 4), (64, 2, 2)]
    assert all(torch.equal(a, b) for a, b in zip(feats.guidances, s))
    assert torch.allclose(feats.os16_dense, f3.view(2, 4, 4, 32).permute(0, 3, 1, 2), atol=1e-6)
    assert feats.os32_dense.shape == (2, 32, 2, 2)
    # the stride-1 conv starts as a copy of stage 4's downsampling conv
    assert torch.equal(enc.os16_downsample[2].weight, trunk.stages[3].downsample[1].weight)
    assert enc.os16_downsample[1].padding == (1, 1, 1, 1)


def test_weight_strategy_rule():
    trainable = ['visual.trunk.stages.0.blocks.0.gamma', 'visual.trunk.stages.1.blocks.0.mlp.fc1.weight',
                 'visual.trunk.stages.2.blocks.1.conv_dw.weight', 'visual.head.mlp.fc1.weight',
                 'transformer.resblocks.3.attn.in_proj_weight', 'transformer.resblocks.0.mlp.c_fc.weight']
    frozen = ['visual.trunk.stages.1.blocks.0.mlp.fc1.bias', 'visual.trunk.stem.0.weight',
              'visual.trunk.stages.3.downsample.1.weight', 'visual.head.proj.weight',
              'transformer.resblocks.0.mlp.c_proj.weight', 'transformer.resblocks.0.attn.in_proj_bias',
              'token_embedding.weight', 'positional_embedding', 'text_projection', 'logit_scale',
              'ln_final.weight', 'visual.trunk.head.norm.weight']
    assert all(is_weight_strategy_trainable(n) for n in trainable)
    assert not any(is_weight_strategy_trainable(n) for n in frozen)


@pytest.mark.parametrize('strategy', ['weight', 'full', 'frozen'])
def test_finetune_strategies(strategy):
    enc = _tiny(finetune=strategy)
    flags = {n: p.requires_grad for n, p in enc.clip.named_parameters()}
    if strategy == 'weight':
        assert flags == {n: is_weight_strategy_trainable(n) for n in flags}
    else:
        assert set(flags.values()) == {strategy == 'full'}
    assert all(p.requires_grad == (strategy == 'full') for p in enc.os16_downsample.parameters())


@pytest.mark.parametrize('source', ['os16', 'os32', 'both'])
def test_stage4_gradient_source(source):
    enc = _tiny(finetune='full', stage4_grad=source)
    stage4 = list(enc.clip.visual.trunk.stages[3].blocks.parameters())
    feats = enc(torch.randn(1, 3, 64, 64))

    def reaches(t):
        grads = torch.autograd.grad(t.sum(), stage4, retain_graph=True, allow_unused=True)
        return any(g is not None and g.abs().sum() > 0 for g in grads)

    assert reaches(feats.os16_dense) == (source != 'os32')
    assert reaches(feats.os32_dense) == (source != 'os16')
    assert reaches(feats.guidances[3]) == (source != 'os16')
    # the input of stage 4 still receives gradient through both paths
    stage3 = list(enc.clip.visual.trunk.stages[2].parameters())
    assert any(g is not None for g in torch.autograd.grad(feats.os32_dense.sum(), stage3, allow_unused=True))


def test_loads_openclip_official_and_our_checkpoints(tmp_path):
    src = _tiny()
    with torch.no_grad():
        src.os16_downsample[2].weight.add_(1.0)  # trained: differs from stage 4's downsampling now
    clip_sd = src.clip.state_dict()
    torch.save(clip_sd, tmp_path / 'openclip.pt')
    official = {'sem_seg_head.clip_model.' + k: v for k, v in clip_sd.items()}
    official.update({'sem_seg_head.clip_model.visual.modify_downsample.' + k: v
                     for k, v in src.os16_downsample.state_dict().items()})
    torch.save({'model': official}, tmp_path / 'official.pth')
    ours = {'backbone.' + k: v for k, v in src.state_dict().items()}
    torch.save({'state_dict': ours, 'meta': {}}, tmp_path / 'ours.pth')

    a = OpenCLIPConvNeXt(model_name='errseg_tiny_convnext', pretrained=str(tmp_path / 'openclip.pt'))
    assert torch.equal(a.clip.visual.trunk.stem[0].weight, src.clip.visual.trunk.stem[0].weight)
    assert torch.equal(a.os16_downsample[2].weight, src.clip.visual.trunk.stages[3].downsample[1].weight)
    for name in ('official.pth', 'ours.pth'):
        b = OpenCLIPConvNeXt(model_name='errseg_tiny_convnext', pretrained=str(tmp_path / name))
        assert torch.equal(b.os16_downsample[2].weight, src.os16_downsample[2].weight)
        assert torch.equal(b.clip.token_embedding.weight, src.clip.token_embedding.weight)


def test_unknown_weights_name_the_choices():
    with pytest.raises(FileNotFoundError, match='no such file, and not an OpenCLIP tag'):
        _tiny(pretrained='missing.pt')


def test_text_encoding_skips_the_padding_with_the_same_result():
    enc = _tiny().eval()
    texts = ['A photo of a cat in the scene', 'A photo of a traffic light on a very long road']
    full, tokens = enc.tokenizer(texts), enc.tokenize(texts)
    assert tokens.shape[1] == int(full.argmax(-1).max()) + 1 < full.shape[1]  # cut on the host
    with torch.no_grad():
        assert torch.allclose(enc.encode_text(tokens), enc.clip.encode_text(full), atol=1e-5)
    enc.train()
    grads = [torch.autograd.grad(f(t).sum(), enc.clip.transformer.resblocks[0].attn.in_proj_weight)[0]
             for f, t in ((enc.encode_text, tokens), (enc.clip.encode_text, full))]
    assert torch.allclose(*grads, atol=1e-5)


@pytest.mark.parametrize('name,max_drop_path,head_dropout', [
    ('convnext_base_w_320', None, 0.0),  # ERR-Seg-B: no drop path in the trunk
    ('convnext_large_d_320', 0.1, 0.1),  # ERR-Seg-L: Dropout(0.1) in the MLP head
])
def test_clip_has_the_official_stochastic_layers_whatever_open_clip_says(name, max_drop_path, head_dropout):
    from timm.layers import DropPath
    from mmseg_errseg.models.clip_convnext import create_clip
    with torch.device('meta'):  # structure only, no memory
        clip = create_clip(name, device='meta')
    drop_paths = [m.drop_prob for m in clip.visual.trunk.modules() if isinstance(m, DropPath)]
    assert (max(drop_paths) if drop_paths else None) == pytest.approx(max_drop_path)
    assert max(m.p for m in clip.visual.head.modules() if isinstance(m, torch.nn.Dropout)) == head_dropout
    assert not any(isinstance(m, (DropPath, torch.nn.Dropout)) and getattr(m, 'p', 0) > 0
                   for m in clip.transformer.modules())


@pytest.mark.slow
@pytest.mark.parametrize('name,has_drop_path,head_dropout', [
    ('convnext_base_w_320', False, 0.0), ('convnext_large_d_320', True, 0.1)])
def test_full_size_backbones_build_with_the_official_stochastic_layers(name, has_drop_path, head_dropout):
    from timm.layers import DropPath
    clip = OpenCLIPConvNeXt(model_name=name).clip
    assert any(isinstance(m, DropPath) for m in clip.visual.trunk.modules()) == has_drop_path
    assert max(m.p for m in clip.visual.head.modules() if isinstance(m, torch.nn.Dropout)) == head_dropout
