"""Label-level similarity between evaluation and training vocabularies (paper Sec. 4.1.3, Table 2): class
names prompted as the model does and embedded (:mod:`~mmseg_errseg.analysis.text_encoders`); per evaluation
class its best match among the training classes. Table 2: the share of classes whose best match rounds to
1.00 or reaches 0.95, 0.90, 0.85; the same similarities split each vocabulary into seen and unseen (Table 5).
"""
import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Union

import numpy as np
import pandas as pd
from mmengine.utils import track_iter_progress

from ..datasets.benchmarks import resolve_vocabulary
from ..evaluation.seen_unseen import SeenUnseenSplit
from ..models.prompts import DEFAULT_TEMPLATE
from ..utils import environment_info, write_json, write_text
from .text_encoders import DEFAULT_ENCODER, TextEncoder, build_text_encoder, class_prompts, embed_vocabulary

__all__ = ['THRESHOLDS', 'DEFAULT_EVALS', 'DEFAULT_TRAIN', 'ROUNDS_TO_ONE', 'LabelSimilarity', 'meets',
           'label_similarities', 'table2', 'SimilarityReport', 'run_similarity']

#: Table 2's thresholds (1.00: rounds to 1.00).
THRESHOLDS = (1.00, 0.95, 0.90, 0.85)
#: Lowest similarity that rounds to 1.00 at two decimals.
ROUNDS_TO_ONE = 0.995
DEFAULT_TRAIN = 'coco_stuff171'
#: The paper's five benchmarks, in its Table 2 row order.
DEFAULT_EVALS = ('voc20', 'pc59', 'ade150', 'pc459', 'ade847')


def meets(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Whether similarities reach a Table 2 threshold (1.00 means >= 0.995, see above)."""
    return np.asarray(similarity) >= (ROUNDS_TO_ONE if threshold >= 1.0 else threshold)


@dataclass
class LabelSimilarity:
    """The (E, T) cosine similarities of an evaluation vocabulary (key ``dataset``) to the training one;
    ``identical``: (E,) whether the class's prompt equals a training class's."""

    dataset: str
    train: str
    encoder: str
    eval_classes: List[str]
    train_classes: List[str]
    matrix: np.ndarray
    identical: np.ndarray = field(repr=False)

    @property
    def best(self) -> np.ndarray:
        """(E,) similarity of each evaluation class to its nearest training class."""
        return self.matrix.max(axis=1)

    @property
    def nearest(self) -> np.ndarray:
        """(E,) index of each evaluation class's nearest training class."""
        return self.matrix.argmax(axis=1)

    def proportion(self, threshold: float) -> float:
        """Fraction of evaluation classes whose best match reaches ``threshold``."""
        return float(meets(self.best, threshold).mean())

    def matrix_frame(self) -> pd.DataFrame:
        """The similarity matrix with class names; the corner names the encoder."""
        corner = f'{self.dataset} \\ {self.train} [{self.encoder}]'
        return pd.DataFrame(self.matrix, index=pd.Index(self.eval_classes, name=corner), columns=self.train_classes)

    def nearest_frame(self, threshold: float = 0.95) -> pd.DataFrame:
        """Each evaluation class, its nearest training class, and whether it is seen."""
        nearest = self.nearest
        return pd.DataFrame({
            'index': np.arange(len(self.eval_classes)), 'class': self.eval_classes,
            'nearest_train_class': np.asarray(self.train_classes, dtype=object)[nearest], 'train_index': nearest,
            'similarity': self.best, 'identical_prompt': self.identical,
            f'seen (>={threshold:g})': meets(self.best, threshold), 'encoder': self.encoder,
        })

    def split(self, threshold: float = 0.95) -> SeenUnseenSplit:
        """Seen (best similarity >= threshold) and unseen classes."""
        seen = meets(self.best, threshold)
        names = np.asarray(self.eval_classes, dtype=object)
        return SeenUnseenSplit(self.dataset, self.train, self.encoder, float(threshold),
                               tuple(names[seen]), tuple(names[~seen]))


def label_similarities(train: str, evals: Sequence[str], encoder: Union[str, TextEncoder],
                       template: str = DEFAULT_TEMPLATE, synonyms: str = 'first', progress: bool = False,
                       device: str = 'cpu') -> List[LabelSimilarity]:
    """One :class:`LabelSimilarity` per evaluation vocabulary (a benchmark or a class-name file), in order:
    classes prompted as the model does (``template``; ``synonyms``: 'first', official, or 'mean'); ``encoder``
    an instance or a spec, built on ``device`` once the vocabularies are read."""
    if not evals:
        raise ValueError('no evaluation vocabulary given')
    train_key, train_names = resolve_vocabulary(train)
    eval_vocabs = [resolve_vocabulary(e) for e in evals]  # fail on a bad name before embedding
    keys = [k for k, _ in eval_vocabs]
    if len(set(keys)) != len(keys):
        raise ValueError(f'evaluation vocabularies given more than once: {keys}')
    if isinstance(encoder, str):
        encoder = build_text_encoder(encoder, device=device)
    train_emb = embed_vocabulary(encoder, train_names, template, synonyms)
    train_prompts = set(class_prompts(train_names, template, synonyms))
    results = []
    for key, names in track_iter_progress(eval_vocabs) if progress else eval_vocabs:
        emb = embed_vocabulary(encoder, names, template, synonyms)
        matrix = (emb @ train_emb.T).double().numpy()
        identical = np.array([p in train_prompts for p in class_prompts(names, template, synonyms)], dtype=bool)
        results.append(LabelSimilarity(key, train_key, encoder.id, list(names), list(train_names), matrix, identical))
    return results


def table2(results: Sequence[LabelSimilarity]) -> pd.DataFrame:
    """Table 2: per result (row) ``vocabulary``, ``train``, ``classes``, ``encoder``, the proportion of
    evaluation labels per best-match threshold (``'1.00'``, ``'>=0.95'``, ...) and ``identical prompt``."""
    return pd.DataFrame([{'vocabulary': r.dataset, 'train': r.train, 'classes': len(r.eval_classes),
                          'encoder': r.encoder,
                          **{'1.00' if t >= 1.0 else f'>={t:.2f}': r.proportion(t) for t in THRESHOLDS},
                          'identical prompt': float(r.identical.mean())} for r in results])


@dataclass
class SimilarityReport:
    """What :func:`run_similarity` computed (per evaluation vocabulary), recorded and wrote (files by role)."""

    results: List[LabelSimilarity]
    splits: Dict[str, SeenUnseenSplit]
    record: dict
    files: Dict[str, Path]


def run_similarity(train: str = DEFAULT_TRAIN, evals: Sequence[str] = DEFAULT_EVALS,
                   encoder: Union[str, TextEncoder] = DEFAULT_ENCODER,
                   out_dir: Union[str, Path] = 'work_dirs/similarity',
                   threshold: float = 0.95, template: str = DEFAULT_TEMPLATE, synonyms: str = 'first',
                   device: str = 'cpu', progress: bool = True) -> SimilarityReport:
    """Compute the label similarities (:func:`label_similarities`) and write what was measured, atomically.

    Writes to ``out_dir``, per evaluation vocabulary, ``similarity_<key>.csv`` (eval x train matrix),
    ``nearest_<key>.csv`` (nearest training class, similarity, seen at ``threshold``), ``split_<key>.json``
    (seen/unseen split); and ``similarity_record.json`` (settings, Table 2 rows, files, environment).
    Table 2 and the plots are views.
    """
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f'threshold must be a cosine similarity in [-1, 1], got {threshold}')
    threshold = float(threshold)
    if '{}' not in template:
        raise ValueError(f'the prompt template needs a {{}} for the class name: {template!r}')
    results = label_similarities(train, evals, encoder, template, synonyms, progress, device)
    out = Path(out_dir)
    files: Dict[str, Path] = {}
    splits = {r.dataset: r.split(threshold) for r in results}
    for r in results:
        files[f'matrix:{r.dataset}'] = write_text(out / f'similarity_{r.dataset}.csv',
                                                  r.matrix_frame().to_csv(float_format='%.6f'))
        files[f'nearest:{r.dataset}'] = write_text(out / f'nearest_{r.dataset}.csv',
                                                   r.nearest_frame(threshold).to_csv(index=False, float_format='%.6f'))
        files[f'split:{r.dataset}'] = write_json(out / f'split_{r.dataset}.json', splits[r.dataset].to_dict())
    record = dict(kind='similarity', train=results[0].train, evals=[r.dataset for r in results],
                  encoder=results[0].encoder, template=template, synonyms=synonyms, threshold=threshold,
                  rounds_to_one=ROUNDS_TO_ONE, table2=table2(results).replace({np.nan: None}).to_dict(orient='records'),
                  files={k: p.name for k, p in files.items()}, environment=environment_info(device),
                  created=datetime.datetime.now().astimezone().isoformat(timespec='seconds'))
    files['record'] = write_json(out / 'similarity_record.json', record)
    return SimilarityReport(results, splits, record, files)
