"""Text encoders of the label-similarity analysis: prompting as the model does, the OpenCLIP path."""
import pytest
import torch

from _fake_text_encoder import FakeTextEncoder
from mmseg_errseg.analysis.text_encoders import OpenCLIPTextEncoder, build_text_encoder, class_prompts, embed_vocabulary
from conftest import TINY_VOCAB, build_model


def test_first_synonym_prompts_as_the_model():
    enc = FakeTextEncoder({'sofa': [1, 0, 0], 'cat': [0, 1, 0]})
    emb = embed_vocabulary(enc, ['sofa, couch', ' cat '])
    assert enc.calls == [['A photo of a sofa in the scene', 'A photo of a cat in the scene']]
    torch.testing.assert_close(emb, torch.eye(3)[:2])


def test_mean_synonyms_average_normalised_embeddings():
    enc = FakeTextEncoder({'sofa': [2, 0, 0], 'couch': [0, 1, 0], 'cat': [0, 0, 5]})
    emb = embed_vocabulary(enc, ['sofa, couch', 'cat'], synonyms='mean')
    h = 2 ** -0.5
    torch.testing.assert_close(emb, torch.tensor([[h, h, 0.], [0., 0., 1.]]))
    assert class_prompts(['sofa, couch', 'cat'], synonyms='mean') == [
        ('A photo of a sofa in the scene', 'A photo of a couch in the scene'), ('A photo of a cat in the scene',)]


@pytest.mark.parametrize('names, message', [([], 'empty'), (['cat', 'cat'], 'duplicate'), (['cat', ''], 'empty')])
def test_bad_vocabulary_is_rejected(names, message):
    with pytest.raises(ValueError, match=message):
        embed_vocabulary(FakeTextEncoder(), names)


@pytest.mark.parametrize('synonyms', ['first', 'mean'])
def test_openclip_encoder_embeds_exactly_as_the_model(tmp_path, synonyms):
    model = build_model(vocabulary=TINY_VOCAB, synonyms=synonyms).eval()
    ckpt = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    enc = OpenCLIPTextEncoder('errseg_tiny_convnext', str(ckpt))
    assert enc.id == 'openclip:errseg_tiny_convnext:tiny.pth'
    with torch.no_grad():
        expected = model.text_embeddings()
    torch.testing.assert_close(embed_vocabulary(enc, TINY_VOCAB, synonyms=synonyms), expected, atol=1e-6, rtol=0)
    # the weights were loaded: a randomly initialised tower gives other embeddings
    other = embed_vocabulary(OpenCLIPTextEncoder('errseg_tiny_convnext', 'random'), TINY_VOCAB, synonyms=synonyms)
    assert (other - expected).abs().max() > 1e-3


@pytest.mark.parametrize('spec, error, message', [
    ('foo', ValueError, 'unknown encoder'),
    ('openclip:errseg_tiny_convnext', ValueError, 'needs its weights'),
    ('openclip:errseg_tiny_convnext:missing.pt', FileNotFoundError, 'no such file'),
    ('sentence-transformers:no/such/dir', FileNotFoundError, 'not a sentence-transformers model folder'),
])
def test_bad_encoder_spec(spec, error, message):
    with pytest.raises(error, match=message):
        build_text_encoder(spec)
