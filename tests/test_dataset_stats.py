"""Paper Table 1 (classes per image, redundancy) on hand-made label maps."""
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from mmseg_errseg.analysis.dataset_stats import dataset_stats
from mmseg_errseg.cli import main
from mmseg_errseg.datasets import make_dataset


def _overwrite_labels(written, labels):
    for (_, seg), label in zip(written['val'], labels):
        Image.fromarray(label).save(seg, format='TIFF' if seg.endswith('.tif') else 'PNG')


@pytest.fixture
def data(tmp_path):
    root = str(tmp_path / 'data')
    voc = make_dataset('voc20', root, num_images=3, size=(16, 16))
    _overwrite_labels(voc, [np.array([[0, 1], [1, 255]], np.uint8),   # 2 classes
                            np.array([[5, 5], [5, 5]], np.uint8),      # 1
                            np.full((2, 2), 255, np.uint8)])           # 0 (all ignored)
    pc = make_dataset('pc459', root, num_images=2, size=(16, 16))
    _overwrite_labels(pc, [np.array([[255, 300], [458, 65535]], np.uint16),  # 3: 255 is a class here
                           np.array([[0, 0], [0, 0]], np.uint16)])             # 1
    return root


def test_hand_checked(data):
    df = dataset_stats(['voc20', 'pc459'], data)
    voc, pc = df.set_index('dataset').loc['voc20'], df.set_index('dataset').loc['pc459']
    assert voc.images == 3 and voc.avg_classes == pytest.approx(1.0) and voc.redundancy == pytest.approx(95.0)
    assert pc.avg_classes == pytest.approx(2.0) and pc.redundancy == pytest.approx(100 * (1 - 2 / 459))
    assert voc.num_classes == 20 and voc.title == 'PAS-20'


def test_cli_writes_the_record_and_table1_with_the_paper_beside(data, tmp_path, capsys):
    out = tmp_path / 'out'
    assert main(['dataset-stats', '--datasets', 'voc20,pc459', '--data-root', data, '--out', str(out)]) == 0
    assert 'PAS-20' in capsys.readouterr().out
    record = json.load(open(out / 'dataset_stats.json'))
    assert record['kind'] == 'dataset_stats' and [r['dataset'] for r in record['rows']] == ['voc20', 'pc459']
    assert [r['avg_classes'] for r in record['rows']] == pytest.approx([1.0, 2.0])
    table = pd.read_csv(out / 'table1.csv', dtype=str).set_index('Variant')
    assert table.loc['Average', 'PAS-20 ours'] == '1.0' and table.loc['Average', 'PC-459 ours'] == '2.0'
    redundancy = table.loc['Redundancy (%)']
    assert redundancy['PAS-20 ours'] == '95.0' and redundancy['PAS-20 paper'] == '92.5'
    assert table.loc['Average', 'A-847 ours'] == 'n/a [1]'  # not requested, the footnote says so
    md = (out / 'table1.md').read_text()
    assert md.startswith('### Table 1') and '[1] not requested (--datasets voc20,pc459)' in md
    assert (out / 'table1.tex').exists()
    assert main(['dataset-stats', '--datasets', 'ade847', '--data-root', data, '--out', str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'errseg prepare ade847' in err[0]
