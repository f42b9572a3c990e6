"""Label similarity (Table 2), nearest classes, seen/unseen splits and plots, on hand-checkable vectors."""
import json

import numpy as np
import pandas as pd
import pytest

from _fake_text_encoder import FakeTextEncoder
from mmseg_errseg.analysis.similarity import DEFAULT_TEMPLATE, label_similarities, meets, run_similarity, table2
from mmseg_errseg.datasets.benchmarks import resolve_vocabulary
from mmseg_errseg.harness import EXPERIMENTS
from mmseg_errseg.views import experiment_cells, render_markdown, wide_table
from mmseg_errseg.views.plots import heatmap_order, plot_best_match_distribution, plot_similarity_heatmap

# train: cat, dog, sky on the axes; eval: cat (identical, 1.00), kitten (0.96 to cat),
# puppy (0.92 to dog), car (0.80 to sky).
VECTORS = {'cat': [1, 0, 0], 'dog': [0, 1, 0], 'sky': [0, 0, 1],
           'kitten': [0.96, 0.28, 0], 'puppy': [0, 0.92, 0.392], 'car': [0.6, 0, 0.8]}
EXPECTED_BEST = [1.0, 0.96, 0.92 / np.hypot(0.92, 0.392), 0.8]


@pytest.fixture
def vocab_files(tmp_path):
    train, toy = tmp_path / 'toytrain.json', tmp_path / 'toy.txt'
    train.write_text(json.dumps(['cat', 'dog', 'sky']))
    toy.write_text('cat\nkitten\npuppy\ncar\n')
    return str(train), str(toy)


def test_similarity_matrix_nearest_and_proportions(vocab_files):
    train, toy = vocab_files
    (r,) = label_similarities(train, [toy], FakeTextEncoder(VECTORS))
    assert (r.dataset, r.train, r.encoder) == ('toy', 'toytrain', 'fake-encoder')
    assert r.matrix.shape == (4, 3)
    np.testing.assert_allclose(r.best, EXPECTED_BEST, atol=1e-6)
    assert list(r.nearest) == [0, 0, 1, 2]
    assert list(r.identical) == [True, False, False, False]
    assert [r.proportion(t) for t in (1.0, 0.95, 0.90, 0.85)] == [0.25, 0.5, 0.75, 0.75]
    near = r.nearest_frame(0.95)
    assert list(near['nearest_train_class']) == ['cat', 'cat', 'dog', 'sky']
    assert list(near['seen (>=0.95)']) == [True, True, False, False]
    split = r.split(0.95)
    assert split.to_dict() == dict(dataset='toy', train='toytrain', encoder='fake-encoder', threshold=0.95,
                                   seen=['cat', 'kitten'], unseen=['puppy', 'car'])
    assert r.split(0.9).seen == ('cat', 'kitten', 'puppy')


def test_one_point_zero_means_rounds_to_one():
    assert list(meets(np.array([0.9951, 0.9949, 1.0]), 1.0)) == [True, False, True]
    assert list(meets(np.array([0.95, 0.9499]), 0.95)) == [True, False]


def test_table2_on_real_lists_with_paper_figures_beside():
    # a hash encoder: only identical prompts are similar, so "1.00" = names shared with COCO-Stuff (14 of 20)
    (r,) = label_similarities('coco-stuff', ['PAS-20'], FakeTextEncoder(dim=256))
    assert r.dataset == 'voc20' and r.train == 'coco_stuff171'
    frame = table2([r])
    row = frame.iloc[0]
    assert row['vocabulary'] == 'voc20' and row['classes'] == 20 and row['encoder'] == 'fake-encoder'
    assert row['1.00'] == pytest.approx(14 / 20) == row['identical prompt']
    # the view: the registry's Table 2 over this record, the paper's figures beside ours
    exp = EXPERIMENTS['table2']
    record = dict(table2=frame.to_dict(orient='records'))
    cells = experiment_cells(exp, lambda i, v, c: ([record], None, ('sim.json',))).set_index(['variant', 'column'])
    assert cells.loc[('PAS-20', '1.00'), 'ours'] == pytest.approx(0.7)
    paper = [cells.loc[('PAS-20', c), 'paper'] for c in ('1.00', '≥ 0.95', '≥ 0.90')]
    assert paper == [0.45, 0.90, 1.00]
    assert np.isnan(cells.loc[('PAS-20', '≥ 0.85'), 'paper'])  # the paper's table has no 0.85 column
    assert not cells.loc[('PAS-20', '≥ 0.85'), 'paper_dash']
    wide, _ = wide_table(exp, cells.reset_index())
    md = render_markdown(exp, wide, [], smoke=False)
    assert '≥ 0.95 paper' in md and '| PAS-20 ' in md and '0.45' in md


def test_run_similarity_writes_every_output(vocab_files, tmp_path):
    train, toy = vocab_files
    out = tmp_path / 'out'
    rep = run_similarity(train, [toy], FakeTextEncoder(VECTORS), out_dir=out, threshold=0.9, progress=False)
    names = {p.name for p in out.iterdir()}
    assert names == {'similarity_toy.csv', 'nearest_toy.csv', 'split_toy.json', 'similarity_record.json'}
    split = json.loads((out / 'split_toy.json').read_text())
    assert split == dict(dataset='toy', train='toytrain', encoder='fake-encoder', threshold=0.9,
                         seen=['cat', 'kitten', 'puppy'], unseen=['car'])
    matrix = pd.read_csv(out / 'similarity_toy.csv', index_col=0)
    assert matrix.index.name == 'toy \\ toytrain [fake-encoder]'
    np.testing.assert_allclose(matrix.loc['car'].to_numpy(), [0.6, 0, 0.8], atol=1e-6)
    record = json.loads((out / 'similarity_record.json').read_text())
    assert record['kind'] == 'similarity' and record['encoder'] == 'fake-encoder'
    t2 = pd.DataFrame(record['table2'])
    assert list(t2['encoder']) == ['fake-encoder'] and t2.loc[0, '>=0.90'] == 0.75
    pngs = [plot_similarity_heatmap(rep.results[0], out / 'heatmap_toy.png'),
            plot_best_match_distribution(rep.results, out / 'best_match_distribution.png', threshold=0.9)]
    for png in pngs:
        assert png.read_bytes()[:4] == b'\x89PNG'
    assert not [p for p in out.iterdir() if p.name.startswith('.')]  # no temporary files left
    assert rep.splits['toy'].unseen == ('car',)


def test_similarity_analysis_run_records_table2(vocab_files, tmp_path, monkeypatch):
    """The harness's Table 2 run keeps the report's rows and split files (a renamed field broke it once)."""
    from types import SimpleNamespace

    from mmseg_errseg.harness import analysis_run
    train, toy = vocab_files
    monkeypatch.setattr(analysis_run, 'run_similarity', lambda **kw: run_similarity(
        **dict(kw, train=train, evals=[toy], encoder=FakeTextEncoder(VECTORS))))
    run = SimpleNamespace(key='0' * 64, context=dict(analysis='similarity'),
                          spec=dict(train='coco_stuff171', evals=['toy'], encoder='fake', threshold=0.9,
                                    template=DEFAULT_TEMPLATE, synonyms='first'))
    result = analysis_run.run_analysis(run, tmp_path, 'data')
    assert result['encoder'] == 'fake-encoder' and result['threshold'] == 0.9
    assert result['table2'][0]['>=0.90'] == 0.75
    assert (tmp_path / result['splits']['toy']).is_file()


def test_heatmap_order_brings_best_matches_to_the_diagonal():
    m = np.array([[0.1, 0.9, 0.0], [0.2, 0.0, 1.0], [0.3, 0.5, 0.1]])
    rows, cols = heatmap_order(m)
    assert list(rows) == [1, 0, 2] and list(cols) == [2, 1, 0]


def test_vocabulary_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="unknown vocabulary 'ade999'.*ade847"):
        resolve_vocabulary('ade999')
    empty = tmp_path / 'empty.txt'
    empty.write_text('\n')
    with pytest.raises(ValueError, match='empty'):
        resolve_vocabulary(str(empty))
    with pytest.raises(ValueError, match='more than once'):
        label_similarities('coco_stuff171', ['voc20', 'PAS-20'], FakeTextEncoder())
    with pytest.raises(ValueError, match='no evaluation vocabulary'):
        label_similarities('coco_stuff171', [], FakeTextEncoder())
    with pytest.raises(ValueError, match=r'threshold must be .* got 1.5'):
        run_similarity('coco_stuff171', ['voc20'], FakeTextEncoder(), out_dir=tmp_path, threshold=1.5)
