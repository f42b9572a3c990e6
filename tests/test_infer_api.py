"""ERRSegInferencer with the tiny model: outputs, vocabulary order, switching vocabularies, errors."""
import warnings

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import TINY_VOCAB
from infer_testing import TINY_CONFIG, TINY_OPTIONS, save_tiny_checkpoint, write_image

from mmseg_errseg.apis import ERRSegInferencer, NotAnERRSegCheckpointError, config_from_checkpoint
from mmseg_errseg.apis import checkpoint as checkpoint_module
from mmseg_errseg.models.cost_maps import cosine_cost_map


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('infer')
    return dict(checkpoint=save_tiny_checkpoint(root / 'tiny.pth'), image=root / 'scene.png',
                array=write_image(root / 'scene.png'), root=root)


@pytest.fixture(scope='module')
def inferencer(files):
    # no config: built from the checkpoint's meta, as for a converted official checkpoint
    return ERRSegInferencer(weights=str(files['checkpoint']), device='cpu', cfg_options=TINY_OPTIONS,
                            show_progress=False)


def test_built_from_the_checkpoint(inferencer):
    assert inferencer.model.backbone.model_name == 'errseg_tiny_convnext'
    assert inferencer.vocabulary == TINY_VOCAB  # the checkpoint's dataset_meta
    assert not inferencer.model.training


def test_outputs_index_the_vocabulary(inferencer, files, tmp_path):
    vocab = ['sky', 'sofa, couch', 'grass', 'road', 'tree']
    out = inferencer(str(files['image']), vocabulary=vocab, out_dir=str(tmp_path), return_vis=True)
    labels = out['predictions']
    assert labels.shape == files['array'].shape[:2]
    assert labels.min() >= 0 and labels.max() < len(vocab)
    for suffix in ('_overlay.png', '_labels.png', '_areas.csv'):
        assert (tmp_path / f'scene{suffix}').is_file()
    written = cv2.imread(str(tmp_path / 'scene_labels.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(written, labels)
    areas = pd.read_csv(tmp_path / 'scene_areas.csv')
    assert areas.class_name.tolist() == vocab and areas.class_index.tolist() == list(range(len(vocab)))
    np.testing.assert_array_equal(areas.pixels, np.bincount(labels.ravel(), minlength=len(vocab)))
    present = np.unique(labels).tolist()
    assert [(e.index, e.name) for e in out['legend']] == [(i, vocab[i]) for i in present]
    overlay = cv2.imread(str(tmp_path / 'scene_overlay.png'))[..., ::-1]
    np.testing.assert_array_equal(overlay, out['visualization'])
    assert overlay.shape[1] > labels.shape[1]  # the legend panel


def test_labels_are_the_models_prediction(inferencer, files):
    """The inferencer neither reorders nor remaps: same labels as ERRSeg.predict on the same input."""
    inferencer.vocabulary = TINY_VOCAB
    got = inferencer(files['array'])['predictions']
    model = inferencer.model
    inputs = torch.from_numpy(files['array']).permute(2, 0, 1).contiguous()
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[inputs]), False)
        want = model.predict(data['inputs'])[0].pred_sem_seg.data[0].numpy()
    np.testing.assert_array_equal(got, want)


def test_single_class_vocabulary_labels_everything_zero(inferencer, files):
    out = inferencer(str(files['image']), vocabulary=['thing'])
    assert (out['predictions'] == 0).all()
    assert [(e.index, e.name, e.fraction) for e in out['legend']] == [(0, 'thing', 1.0)]


def test_synonyms_are_one_class_prompted_by_the_first(inferencer, files):
    assert inferencer.model.synonyms == 'first'
    vocab = ['grass', 'sofa, couch, settee', 'sky']
    with_synonyms = next(inferencer.iter_results(files['array'], vocabulary=vocab))
    assert with_synonyms.areas.class_name.tolist() == vocab
    first_only = inferencer(files['array'], vocabulary=['grass', 'sofa', 'sky'])['predictions']
    second = inferencer(files['array'], vocabulary=['grass', 'couch', 'sky'])['predictions']
    np.testing.assert_array_equal(with_synonyms.labels, first_only)
    assert (second != first_only).any()  # the prompt matters, so the equality above is not vacuous


def test_vocabulary_change_does_not_reload_weights(inferencer, files, monkeypatch):
    params = {n: (p, p.data_ptr()) for n, p in inferencer.model.named_parameters()}

    def no_loading(*args, **kwargs):
        raise AssertionError('weights were loaded again')

    monkeypatch.setattr(torch, 'load', no_loading)
    monkeypatch.setattr(checkpoint_module, 'load_errseg_checkpoint', no_loading)
    monkeypatch.setattr(torch.nn.Module, 'load_state_dict', no_loading)
    first = inferencer(str(files['image']), vocabulary=['cat', 'dog', 'car'])
    second = inferencer(str(files['image']), vocabulary=['sky', 'grass', 'road', 'person'])
    assert {e.name for e in first['legend']} <= {'cat', 'dog', 'car'}
    assert {e.name for e in second['legend']} <= {'sky', 'grass', 'road', 'person'}
    assert second['predictions'].max() < 4
    assert first['legend'] and [e.name for e in first['legend']] != [e.name for e in second['legend']]
    for n, p in inferencer.model.named_parameters():
        assert p is params[n][0] and p.data_ptr() == params[n][1], n


def test_folder_with_batches(inferencer, files, tmp_path):
    folder = tmp_path / 'photos'
    folder.mkdir()
    write_image(folder / 'a.png', seed=1)
    write_image(folder / 'b.png', seed=2)
    write_image(folder / 'c.png', 48, 32, seed=3)  # another size: run on its own
    results = list(inferencer.iter_results(str(folder), vocabulary=['cat', 'dog'], batch_size=2,
                                           out_dir=str(tmp_path / 'out')))
    assert [r.name for r in results] == ['a', 'b', 'c']
    assert results[2].labels.shape == (48, 32)
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == sorted(
        f'{n}{s}' for n in 'abc' for s in ('_overlay.png', '_labels.png', '_areas.csv'))
    single = inferencer(str(folder / 'b.png'))['predictions']
    np.testing.assert_array_equal(results[1].labels, single)  # batching changes nothing


def test_kept_classes_are_the_p_best_selection_scores(inferencer, files):
    """kept_scores are RRHC's R(t) of the kept classes, computed as the model selects (Eq. 4)."""
    from mmseg_errseg.models.class_reduction import class_scores
    inferencer.num_selected = 3
    try:
        result = next(inferencer.iter_results(files['array'], vocabulary=TINY_VOCAB))
    finally:
        inferencer.num_selected = None
    kept, scores = result.data_sample.kept_classes, result.data_sample.kept_scores
    assert len(kept) == len(scores) == 3
    model = inferencer.model
    inputs = torch.from_numpy(files['array']).permute(2, 0, 1).contiguous()
    with torch.no_grad():
        feats = model.extract_feat(model.data_preprocessor(dict(inputs=[inputs]), False)['inputs'])
        cost = cosine_cost_map(feats.os16_dense, model.text_embeddings())  # the official selection map
        want = class_scores(cost, model.decode_head.rrhc.top_k, model.decode_head.rrhc.score_lambda)[0]
    np.testing.assert_allclose(scores, want[kept].numpy())
    assert min(scores) >= want.sort(descending=True).values[2].item()  # the 3 best
    assert set(np.unique(result.labels)) <= set(kept)


def test_num_selected_larger_than_vocabulary_warns_once(inferencer, files):
    inferencer.num_selected = 50
    try:
        with pytest.warns(UserWarning, match=r'num_selected=50 is larger than the vocabulary \(3 classes\); '
                          'using 3') as record:
            inferencer(files['array'], vocabulary=['cat', 'dog', 'sky'])
            inferencer(files['array'])
        assert len([w for w in record if 'num_selected' in str(w.message)]) == 1
        assert inferencer.model.test_cfg['num_selected'] == 3
    finally:
        inferencer.num_selected = None
    with warnings.catch_warnings():  # the config's P (32 here) clamps quietly
        warnings.simplefilter('error')
        inferencer(files['array'], vocabulary=['cat', 'dog'])
    assert inferencer.model.test_cfg['num_selected'] == 2
    with pytest.raises(ValueError, match='positive integer'):
        inferencer.num_selected = 0


@pytest.mark.parametrize('vocab, match', [([], 'the vocabulary is empty'),
                                          (['cat', 'dog', 'cat'], r"duplicate class names: \['cat'\]"),
                                          (['cat', ' '], 'empty class names at positions')])
def test_bad_vocabularies(inferencer, files, vocab, match):
    with pytest.raises(ValueError, match=match):
        inferencer(files['array'], vocabulary=vocab)


def test_bad_images(inferencer, tmp_path):
    (tmp_path / 'broken.png').write_bytes(b'\x89PNG broken')
    with pytest.raises(ValueError, match='broken.png: cannot be decoded as an image'):
        inferencer(str(tmp_path / 'broken.png'))
    with pytest.raises(FileNotFoundError, match='missing.jpg: no such image file or folder'):
        inferencer(str(tmp_path / 'missing.jpg'))
    with pytest.raises(ValueError, match=r'must be \(H, W, 3\) BGR or \(H, W\) uint8'):
        inferencer(np.zeros((4, 4, 3), np.float32))


def test_config_path_and_mismatch(files):
    inf = ERRSegInferencer(TINY_CONFIG, weights=str(files['checkpoint']), device='cpu')
    assert inf.model.crop_size == (64, 64)
    with pytest.raises(ValueError, match='does not fit the model of the given config: shape of decode_head'):
        ERRSegInferencer(TINY_CONFIG, weights=str(files['checkpoint']), device='cpu',
                         cfg_options={'model.decode_head.decoder_dims': (8, 8, 8)})


def test_not_errseg_checkpoints(tmp_path):
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(1)}}, tmp_path / 'resnet.pth')
    with pytest.raises(NotAnERRSegCheckpointError,
                       match=r"resnet.pth is not an ERR-Seg checkpoint: expected state_dict keys starting "
                       r"with 'backbone.clip.\*' and 'decode_head.\*'.*found 1 keys like backbone.conv1"):
        ERRSegInferencer(weights=str(tmp_path / 'resnet.pth'))
    torch.save({'model': {'sem_seg_head.clip_model.positional_embedding': torch.zeros(1)}},
               tmp_path / 'official.pth')
    with pytest.raises(NotAnERRSegCheckpointError, match='official ERR-Seg .*`errseg convert-official'):
        ERRSegInferencer(weights=str(tmp_path / 'official.pth'))
    (tmp_path / 'text.pth').write_text('hello')
    with pytest.raises(ValueError, match='text.pth cannot be read as a torch checkpoint'):
        ERRSegInferencer(weights=str(tmp_path / 'text.pth'))
    with pytest.raises(FileNotFoundError, match='checkpoint .*gone.pth: no such file'):
        ERRSegInferencer(weights=str(tmp_path / 'gone.pth'))


def test_config_from_checkpoint():
    from mmengine.config import Config
    runner_ckpt = dict(meta=dict(cfg=Config.fromfile(TINY_CONFIG).pretty_text))
    assert tuple(config_from_checkpoint(runner_ckpt).model.crop_size) == (64, 64)
    converted = dict(meta=dict(errseg=dict(clip_model_name='convnext_large_d_320',
                                           head_config=dict(decoder_dims=(128, 64, 32)))))
    cfg = config_from_checkpoint(converted)
    assert cfg.model.backbone.model_name == 'convnext_large_d_320'
    assert tuple(cfg.model.decode_head.decoder_dims) == (128, 64, 32)
    assert cfg.model.decode_head.top_k == 3  # the rest from the base config
    with pytest.raises(ValueError, match='does not say which model it holds'):
        config_from_checkpoint(dict(meta=dict()))


@pytest.mark.parametrize('bad', [-1, len(TINY_VOCAB)])
def test_labels_outside_the_vocabulary_are_the_models_error(inferencer, files, bad):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    labels[0, 1, 2] = bad
    sample = SegDataSample(pred_sem_seg=PixelData(data=labels))
    inferencer.vocabulary = TINY_VOCAB
    with pytest.raises(RuntimeError, match=rf'predicted labels outside the vocabulary \[0, {len(TINY_VOCAB)}\)'):
        inferencer._result('x', None, files['array'][:4, :4], sample, '', 0.5, False)
