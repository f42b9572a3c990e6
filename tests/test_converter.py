"""errseg convert-official: official checkpoints -> mmengine checkpoints that init_model loads."""
import pytest
import torch

from mmseg_errseg.cli import main
from mmseg_errseg.converters import (OfficialCheckpointError, convert_official_state_dict,
                                     infer_head_config)
from mmseg_errseg.converters.official import infer_clip_model_name

from conftest import CONFIGS, TINY_VOCAB, build_model
from official_format import to_official_checkpoint

TINY_CFG = str(CONFIGS / '_base_/models/errseg_tiny.py')


@pytest.fixture
def official_ckpt(tmp_path):
    torch.manual_seed(3)
    model = build_model(vocabulary=TINY_VOCAB)
    path = tmp_path / 'model_final.pth'
    torch.save({'model': to_official_checkpoint(model.state_dict()), 'iteration': 80000}, path)
    return model, path


def test_round_trip_restores_every_tensor(official_ckpt):
    model, path = official_ckpt
    sd = torch.load(path, weights_only=True)['model']
    ours, unmatched = convert_official_state_dict(sd)
    assert not unmatched
    expected = {k: v for k, v in model.state_dict().items() if k != 'backbone.clip.attn_mask'}
    assert ours.keys() == expected.keys()
    assert all(torch.equal(ours[k], expected[k]) for k in ours)


def test_architecture_is_read_off_the_weights(official_ckpt):
    model, path = official_ckpt
    sd = torch.load(path, weights_only=True)['model']
    clip = {k[len('sem_seg_head.clip_model.'):]: v for k, v in sd.items() if 'clip_model' in k}
    assert infer_clip_model_name(clip) == 'errseg_tiny_convnext'
    dec = {k[len('sem_seg_head.decoder.'):]: v for k, v in sd.items() if 'decoder' in k}
    cfg = infer_head_config(dec)
    assert cfg['decoder_dims'] == (16, 16, 8) and cfg['dim'] == 32 and cfg['sr_ratio'] == [2, 2, 2, 2]
    assert cfg['guidance_dims'] == tuple(model.backbone.guidance_dims)


def test_cli_writes_a_checkpoint_init_model_loads(official_ckpt, tmp_path, capsys):
    import mmseg_errseg  # noqa: F401
    from mmseg.apis import init_model
    model, path = official_ckpt
    dst = tmp_path / 'out' / 'errseg_tiny.pth'
    assert main(['convert-official', str(path), str(dst), '--config', TINY_CFG]) == 0
    out = capsys.readouterr().out
    assert 'errseg_tiny_convnext' in out and 'matches' in out
    loaded = init_model(TINY_CFG, str(dst), device='cpu')
    assert loaded.num_classes == 171  # meta.dataset_meta: COCO-Stuff, the training vocabulary
    loaded.vocabulary = model.vocabulary = TINY_VOCAB
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(loaded(x, mode='tensor'), model(x, mode='tensor'), atol=1e-6)


def test_unmatched_keys_are_listed(official_ckpt, tmp_path, capsys):
    _, path = official_ckpt
    sd = torch.load(path, weights_only=True)
    sd['model']['sem_seg_head.decoder.extra_layer.weight'] = torch.zeros(1)
    torch.save(sd, path)
    assert main(['convert-official', str(path), str(tmp_path / 'o.pth')]) == 0
    assert 'unmatched official keys (1)' in capsys.readouterr().out


def test_config_mismatch_is_reported(official_ckpt, tmp_path, capsys):
    _, path = official_ckpt
    b_cfg = str(CONFIGS / '_base_/models/errseg_convnext-b.py')
    assert main(['convert-official', str(path), str(tmp_path / 'o.pth'), '--config', b_cfg]) == 1
    err = capsys.readouterr().err
    assert 'does not fit' in err and 'shape of' in err
    assert not (tmp_path / 'o.pth').exists()


@pytest.mark.parametrize('content,match', [
    ({'state_dict': {'backbone.weight': torch.zeros(1)}}, 'not an official ERR-Seg checkpoint'),
    ({'model': {'sem_seg_head.clip_model.x': torch.zeros(1)}}, 'not an official ERR-Seg checkpoint'),
    ([1, 2, 3], 'holds no state dict of tensors'),
])
def test_not_an_official_checkpoint(tmp_path, capsys, content, match):
    path = tmp_path / 'bad.pth'
    torch.save(content, path)
    assert main(['convert-official', str(path), str(tmp_path / 'o.pth')]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0]
    with pytest.raises(OfficialCheckpointError, match=match):
        from mmseg_errseg.converters.official import convert_official_checkpoint
        convert_official_checkpoint(str(path))


def test_missing_source_file(tmp_path, capsys):
    assert main(['convert-official', str(tmp_path / 'nope.pth'), str(tmp_path / 'o.pth')]) == 1
    assert 'no such file' in capsys.readouterr().err


def test_the_official_evaluation_crop_is_recorded_and_used(official_ckpt, tmp_path, monkeypatch):
    # eval.sh evaluates ERR-Seg-L at 768 and every other model at 640; a converted checkpoint given without a
    # config is built at that size (infer, test)
    from mmseg_errseg.apis import config_from_checkpoint
    from mmseg_errseg.converters import official
    _, path = official_ckpt
    assert official.official_eval_crop('convnext_large_d_320') == (768, 768)
    assert official.official_eval_crop('convnext_base_w_320') == (640, 640)
    for name, crop in (('convnext_large_d_320', 768), ('convnext_base_w_320', 640)):
        monkeypatch.setattr(official, 'infer_clip_model_name', lambda clip, name=name: name)
        _, meta, _ = official.convert_official_checkpoint(str(path))
        assert meta['errseg']['crop_size'] == [crop, crop]
        cfg = config_from_checkpoint(dict(meta=meta))
        assert cfg.model.crop_size == (crop, crop) and cfg.model.data_preprocessor.size == (crop, crop)
        assert cfg.model.backbone.model_name == name


def test_errseg_test_without_config_uses_the_recorded_crop(official_ckpt, tmp_path, capsys):
    import json

    from mmseg_errseg.datasets import make_dataset
    _, path = official_ckpt
    dst = tmp_path / 'converted.pth'
    assert main(['convert-official', str(path), str(dst)]) == 0
    assert 'evaluation crop   : 640x640' in capsys.readouterr().out
    ckpt = torch.load(dst, weights_only=False)
    ckpt['meta']['errseg']['crop_size'] = [96, 96]  # a size no config sets: it must come from the checkpoint
    torch.save(ckpt, dst)
    make_dataset('voc20', str(tmp_path / 'data'), num_images=1, size=(32, 40), seed=2)
    out = tmp_path / 'r.json'
    assert main(['test', str(dst), '--dataset', 'voc20', '--data-root', str(tmp_path / 'data'), '--out', str(out),
                 '--num-workers', '0', '--work-dir', str(tmp_path / 'wd')]) == 0
    record = json.loads(out.read_text())
    assert record['crop_size'] == [96, 96] and record['num_selected'] == 16
