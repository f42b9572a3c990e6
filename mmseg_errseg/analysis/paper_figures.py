"""The paper's published figures for Tables 2 and 5, and the benchmarks' display names.

Only ever shown beside our measurements, labelled as the paper's.
"""
from typing import Dict

__all__ = ['DATASET_LABELS', 'dataset_label', 'PAPER_TABLE2', 'PAPER_TABLE5']

#: Vocabulary key -> the paper's name for the benchmark.
DATASET_LABELS: Dict[str, str] = {
    'ade847': 'A-847',
    'pc459': 'PC-459',
    'ade150': 'A-150',
    'pc59': 'PC-59',
    'voc20': 'PAS-20',
    'coco_stuff171': 'COCO-Stuff',
}

#: Table 2 (label-level similarity to COCO-Stuff): proportion of labels whose
#: best match is 1.00 / >= 0.95 / >= 0.90. The paper's table has no 0.85 column
#: although its text (Sec. 4.1.3) mentions one; its text encoder is not stated.
PAPER_TABLE2: Dict[str, Dict[float, float]] = {
    'voc20': {1.00: 0.45, 0.95: 0.90, 0.90: 1.00},
    'pc59': {1.00: 0.30, 0.95: 0.85, 0.90: 0.95},
    'ade150': {1.00: 0.19, 0.95: 0.41, 0.90: 0.57},
    'pc459': {1.00: 0.10, 0.95: 0.21, 0.90: 0.29},
    'ade847': {1.00: 0.06, 0.95: 0.12, 0.90: 0.21},
}

#: Table 5 (mIoU on seen / unseen classes, threshold 0.95), per method.
PAPER_TABLE5: Dict[str, Dict[str, Dict[str, float]]] = {
    'CAT-Seg': {'ade847': {'seen': 29.2, 'unseen': 9.6}, 'pc459': {'seen': 38.3, 'unseen': 12.5},
                'ade150': {'seen': 42.1, 'unseen': 24.4}},
    'ERR-Seg': {'ade847': {'seen': 30.1, 'unseen': 11.6}, 'pc459': {'seen': 40.1, 'unseen': 13.9},
                'ade150': {'seen': 44.7, 'unseen': 29.4}},
}


def dataset_label(key: str) -> str:
    """The paper's name of a vocabulary (e.g. 'ade847' -> 'A-847'), else the key itself."""
    return DATASET_LABELS.get(key, key)
