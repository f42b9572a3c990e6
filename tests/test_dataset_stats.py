"""Paper Table 1 (classes per image, redundancy) on hand-made label maps."""
import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from mmseg_errseg.analysis.dataset_stats import PAPER_TABLE1, dataset_stats, table1_markdown
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
    assert voc.paper_avg_classes == PAPER_TABLE1['voc20']['avg_classes']
    md = table1_markdown(df)
    assert '| Average (ours)     | 1.0      | 2.0      |' in md and 'Redundancy (paper)' in md and '95.0%' in md


def test_cli_writes_csv_markdown_json(data, tmp_path, capsys):
    out = tmp_path / 'out'
    assert main(['dataset-stats', '--datasets', 'voc20,pc459', '--data-root', data, '--out', str(out)]) == 0
    assert 'PAS-20' in capsys.readouterr().out
    df = pd.read_csv(out / 'dataset_stats.csv')
    assert list(df.dataset) == ['voc20', 'pc459'] and df.avg_classes.tolist() == pytest.approx([1.0, 2.0])
    record = json.load(open(out / 'dataset_stats.json'))
    assert record['kind'] == 'dataset_stats' and record['rows'][0]['paper_redundancy'] == 92.5
    assert (out / 'dataset_stats.md').read_text().startswith('Table 1')
    assert main(['dataset-stats', '--datasets', 'ade847', '--data-root', data, '--out', str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'errseg prepare ade847' in err[0]
