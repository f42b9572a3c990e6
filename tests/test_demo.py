"""The demo page through Gradio's Python client, against a server on 127.0.0.1 started here (tiny model)."""
import socket
import threading
import time

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from mmseg_errseg.apis import checkpoint as checkpoint_module
from mmseg_errseg.cli import main
from mmseg_errseg.demo import EXAMPLES, DemoSession, build_app, launch
from mmseg_errseg.vocabularies import load_vocabulary

CAT = EXAMPLES[0][0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def served():
    session = DemoSession()  # no checkpoint: the tiny model, random weights
    app = build_app(session)
    url = launch(app, port=free_port(), block=False)
    assert url.startswith('http://127.0.0.1:')
    yield session, Client(url, verbose=False)
    app.close()


def segment(client, image, vocabulary, num_selected=0):
    overlay, areas, kept, files, notes = client.predict(image, vocabulary, num_selected, api_name='/segment')
    frame = lambda table: pd.DataFrame(table['data'], columns=table['headers'])  # noqa: E731
    labels = cv2.imread(files[0], cv2.IMREAD_UNCHANGED)
    return cv2.imread(overlay)[..., ::-1], frame(areas), frame(kept), labels, files, notes


def test_page_says_the_weights_are_random(served):
    session, client = served
    assert session.random_weights
    config = client.config
    texts = ' '.join(str(c.get('props', {}).get('value')) for c in config['components'])
    assert 'random weights' in texts and 'errseg demo --checkpoint' in texts


def test_round_trip_label_map_indexes_the_vocabulary(served):
    session, client = served
    vocab = ['cat', 'sofa, couch', 'floor']
    overlay, areas, kept, labels, files, notes = segment(client, handle_file(CAT), 'cat; sofa, couch; floor')
    image = cv2.imread(CAT)
    assert labels.shape == image.shape[:2] and labels.dtype == np.uint8
    assert labels.max() < len(vocab)
    # the page shows what the inferencer computes on the same image and vocabulary
    want = session.inferencer(image, vocabulary=vocab)['predictions']
    np.testing.assert_array_equal(labels, want)
    counts = np.bincount(labels.ravel(), minlength=len(vocab))
    assert areas['class'].tolist() == [vocab[i] for i in np.argsort(-counts, kind='stable') if counts[i]]
    assert areas['pixels'].tolist() == sorted(counts[counts > 0].tolist(), reverse=True)
    np.testing.assert_allclose(areas['area %'].sum(), 100, atol=0.05)
    csv = pd.read_csv(files[1])
    assert csv.class_name.tolist() == vocab and csv.pixels.tolist() == counts.tolist()
    # P = the tiny config's 4, clamped to the 3 classes; ranked by score
    assert kept['rank'].tolist() == [1, 2, 3] and sorted(kept['class index']) == [0, 1, 2]
    assert kept['score R(t)'].is_monotonic_decreasing
    assert [vocab[i] for i in kept['class index']] == kept['class'].tolist()
    assert overlay.shape[0] >= image.shape[0] and overlay.shape[1] > image.shape[1]  # the legend panel
    assert notes == ''


def test_p_keeps_that_many_classes_and_labels_only_kept_ones(served):
    _, client = served
    vocab = 'cat, dog, sky, grass, road, tree, car'
    _, _, kept, labels, _, _ = segment(client, handle_file(CAT), vocab, 2)
    assert kept['rank'].tolist() == [1, 2]
    assert set(np.unique(labels)) <= set(kept['class index'])
    _, _, kept, _, _, _ = segment(client, handle_file(CAT), vocab, 5)
    assert len(kept) == 5


def test_vocabulary_change_does_not_reload_weights(served, monkeypatch):
    session, client = served
    model = session.inferencer.model
    params = {n: p.data_ptr() for n, p in model.named_parameters()}

    def no_loading(*args, **kwargs):
        raise AssertionError('weights were loaded again')

    monkeypatch.setattr(torch, 'load', no_loading)
    monkeypatch.setattr(checkpoint_module, 'load_errseg_checkpoint', no_loading)
    monkeypatch.setattr(torch.nn.Module, 'load_state_dict', no_loading)
    _, first, _, labels1, _, _ = segment(client, handle_file(CAT), 'cat, blanket, wall')
    _, second, _, labels2, _, _ = segment(client, handle_file(CAT), 'sky, grass, road, person, car')
    assert set(first['class']) <= {'cat', 'blanket', 'wall'}
    assert set(second['class']) <= {'sky', 'grass', 'road', 'person', 'car'}
    assert labels2.max() < 5 and not np.array_equal(labels1, labels2)
    assert session.inferencer.model is model
    assert {n: p.data_ptr() for n, p in model.named_parameters()} == params
    cached = {key[0] for key in model._text_cache}  # the class embeddings of both vocabularies
    assert {('cat', 'blanket', 'wall'), ('sky', 'grass', 'road', 'person', 'car')} <= cached


def test_shipped_vocabulary_fills_the_box_and_its_p(served):
    session, client = served
    def shipped(name):  # as typed: spaces around names and synonyms do not count
        return [', '.join(s.strip() for s in n.split(',')) for n in load_vocabulary(name)]

    text, p = client.predict('pc59', '', None, api_name='/vocabulary')
    assert session.parse_vocabulary(text) == shipped('pc59') and p == 24
    text, p = client.predict('ade847', '', None, api_name='/vocabulary')
    assert session.parse_vocabulary(text) == shipped('ade847') and p == 48  # synonyms survive
    assert client.predict('own', 'cat, dog', 3, api_name='/vocabulary') == ('cat, dog', 0)
    _, areas, kept, labels, _, _ = segment(client, handle_file(CAT), text, p)
    assert len(kept) == 48 and labels.dtype == np.uint16  # 847 classes: a 16-bit label map


def test_huge_image_is_downscaled_with_a_note(served, tmp_path):
    path = tmp_path / 'panorama.png'
    cv2.imwrite(str(path), np.full((40, 4100, 3), 90, np.uint8))
    _, _, _, labels, _, notes = segment(served[1], handle_file(str(path)), 'sky, sea')
    assert labels.shape == (20, 2048)
    assert 'panorama.png is 4100×40 pixels: downscaled to 2048×20' in notes


@pytest.mark.parametrize('upload, vocabulary, num_selected, message', [
    ('notes.txt', 'cat', None, 'notes.txt is not an image that can be read: upload a JPEG, PNG'),
    (CAT, ' , ; ', None, 'The vocabulary is empty: type class names separated by commas'),
    (CAT, '', None, 'The vocabulary is empty'),
    (CAT, 'cat, dog, cat', None,
     r"The vocabulary has duplicate class names: \['cat'\] \(case and spaces do not tell classes apart\): list each class once"),
    (CAT, 'cat; sofa, couch; cat', None, r"duplicate class names: \['cat'\]"),
    (CAT, 'cat, dog, sky', 4,
     r'P = 4 is out of range: give a whole number from 1 to 3 \(the vocabulary has 3'),
    (CAT, 'cat, dog, sky', -1, 'P = -1 is out of range'),
    (CAT, 'cat, dog, sky', 1.5, r'P = 1.5 is out of range.*or 0 for the default'),
    (None, 'cat', None, 'No image: upload, paste or pick an example photo first'),
])
def test_bad_input_gets_a_message(served, tmp_path, upload, vocabulary, num_selected, message):
    if upload == 'notes.txt':
        upload = tmp_path / upload
        upload.write_text('not an image')
    image = None if upload is None else handle_file(str(upload))
    with pytest.raises(AppError, match=message):
        served[1].predict(image, vocabulary, num_selected, api_name='/segment')


def test_requests_queue_one_at_a_time(served, monkeypatch):
    session, client = served
    forward, active, peak = session.inferencer.forward, [0], [0]
    lock = threading.Lock()

    def slow_forward(*args, **kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.3)
        try:
            return forward(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(session.inferencer, 'forward', slow_forward)
    jobs = [client.submit(handle_file(CAT), vocab, None, api_name='/segment')
            for vocab in ('cat, dog', 'sky, sea', 'wall, floor')]
    results = [job.result(timeout=120) for job in jobs]
    assert len(results) == 3 and peak[0] == 1


def test_cli_bad_arguments_are_one_line(capsys):
    assert main(['--keep-malloc', 'demo', '--checkpoint', 'missing.pth']) == 1
    error = capsys.readouterr().err.splitlines()
    assert error == ['errseg demo: error: checkpoint missing.pth: no such file']
    with pytest.raises(SystemExit):
        main(['demo', '--port', '70000'])
    assert "expected a port number in [0, 65535], got '70000'" in capsys.readouterr().err
