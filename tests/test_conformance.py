"""Conformance with the official implementation's golden outputs."""
import pytest
import torch

from mmseg_errseg.cli import main
from mmseg_errseg.conformance import check_golden
from mmseg_errseg.converters import OfficialCheckpointError
from mmseg_errseg.models import CLIPFeatures, scatter_classes

from conftest import GOLDEN, build_model
from official_format import official_decoder_config, to_official_decoder

SHIPPED = GOLDEN / 'errseg_b_decoder_t171_p32.pt'


def test_shipped_golden_file_matches_the_official_outputs():
    report = check_golden(str(SHIPPED))
    assert report.kept_identical
    assert report.max_abs_diff <= 1e-4
    assert report.score_max_abs_diff == 0.0
    assert report.passed


def test_cli_exit_status(tmp_path, capsys):
    assert main(['check-golden', str(SHIPPED)]) == 0
    assert 'PASS' in capsys.readouterr().out
    data = torch.load(SHIPPED, weights_only=True)
    data['logits'] = data['logits'] + 1e-3 * (data['logits'] > -100)
    bad = tmp_path / 'perturbed.pt'
    torch.save(data, bad)
    assert main(['check-golden', str(bad)]) == 1
    assert 'FAIL' in capsys.readouterr().out


def _golden_from_our_head(tmp_path, num_classes, num_selected, seed=0, **head):
    """A golden file in the official format, of other dims/T/P, produced by our own head."""
    torch.manual_seed(seed)
    model = build_model(decode_head=dict(num_selected=num_selected, **head)).eval()
    text = torch.nn.functional.normalize(torch.randn(num_classes, model.backbone.embed_dim), dim=-1)
    with torch.no_grad():
        feats = model.backbone(torch.randn(2, 3, 64, 64))
        kept_logits, kept = model.decode_head(feats, text, num_selected)
    os4, os8, os16, os32 = feats.guidances
    data = dict(
        state_dict=to_official_decoder(model.decode_head.state_dict()),
        config=official_decoder_config(model.decode_head),
        inputs=dict(os16_dense=feats.os16_dense, clip_vis_dense=feats.os32_dense, os32=os32, os16=os16,
                    os8=os8, os4=os4, text_feats=text[None, :, None].expand(2, -1, -1, -1).clone()),
        num_classes=num_classes, sample_classes_num=num_selected, selected_class_indices=kept,
        logits=scatter_classes(kept_logits, kept, num_classes))
    path = tmp_path / f'golden_t{num_classes}_p{num_selected}.pt'
    torch.save(data, path)
    return path


@pytest.mark.parametrize('t,p,head', [
    (11, 3, {}),
    (30, 7, dict(sr_ratio=[2, 1, 2, 1], decoder_dims=(32, 16, 8))),
    (5, 5, dict(dim=64, cost_embed_dim=16)),
])
def test_other_dims_t_and_p_need_no_special_case(tmp_path, t, p, head):
    report = check_golden(str(_golden_from_our_head(tmp_path, t, p, **head)))
    assert report.passed, report.summary()
    assert (report.num_classes, report.num_selected) == (t, p)


def test_not_a_golden_file(tmp_path, capsys):
    path = tmp_path / 'x.pt'
    torch.save({'state_dict': {}}, path)
    with pytest.raises(OfficialCheckpointError, match='not a golden file, missing keys'):
        check_golden(str(path))
    assert main(['check-golden', str(path)]) == 1
    assert 'not a golden file' in capsys.readouterr().err
    assert main(['check-golden', str(tmp_path / 'missing.pt')]) == 1


@pytest.mark.parametrize('section,head', [
    (0, dict()),  # ConvNeXt-B dims
    (1, dict(embed_dim=768, guidance_dims=(192, 384, 768, 1536), decoder_dims=(128, 64, 32))),
])
def test_every_official_decoder_key_converts_onto_our_head_with_its_shape(section, head):
    from mmseg.registry import MODELS
    from mmseg_errseg.converters.official import convert_decoder_state_dict
    from official_format import official_decoder_keys
    official = {k: torch.zeros(shape) for k, shape in official_decoder_keys()[section].items()}
    ours, unmatched = convert_decoder_state_dict(official)
    assert not unmatched
    model = MODELS.build(dict(type='ERRSegHead', **head))
    assert set(ours) == set(model.state_dict())
    model.load_state_dict(ours, strict=True)  # every shape matches too
