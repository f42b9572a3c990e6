"""Segment one's own images with one's own vocabulary: the ERR-Seg inferencer."""
import itertools
import os
import sys
import warnings
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose
from mmengine.infer import BaseInferencer
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ..models import ERRSeg
from ..utils import check_device, config_errors, load_config
from .checkpoint import config_from_checkpoint, load_checked_state, load_errseg_checkpoint
from .files import (area_table, check_unique_names, collect_images, read_image, write_area_table, write_label_map,
                    write_png)
from .overlay import LegendEntry, legend_entries, render_overlay

__all__ = ['ERRSegInferencer', 'ImageResult', 'OUTPUT_SUFFIXES']

InputType = Union[str, Path, np.ndarray]
#: What is written per image to ``out_dir``, named ``<image name><suffix>``.
OUTPUT_SUFFIXES = dict(overlay='_overlay.png', labels='_labels.png', areas='_areas.csv')
_DEFAULT_PIPELINE = [dict(type='LoadImageFromNDArray'), dict(type='PackSegInputs')]


class ImageResult(NamedTuple):
    """One image's results; ``data_sample`` has metainfo ``kept_classes`` (the P classes RRHC kept) and
    ``kept_scores`` (their selection scores R(t)); ``files`` the written files by kind."""
    name: str  # outputs are written under it (the file name without suffix)
    source: Optional[str]  # the image file; None for an array
    labels: np.ndarray  # (H, W) int64 vocabulary indices
    areas: pd.DataFrame  # pixels and fraction of every class (files.area_table)
    legend: List[LegendEntry]  # the classes present, in vocabulary order
    data_sample: SegDataSample
    visualization: Optional[np.ndarray]  # the RGB overlay with legend, when rendered
    files: Dict[str, str]


class ERRSegInferencer(BaseInferencer):
    """Open-vocabulary segmentation of image files or arrays, in ``mmseg.apis`` style.

    The model is built and its weights loaded once; changing the vocabulary (or P) between calls only
    re-encodes the class names. Label ``i`` is ``vocabulary[i]``; ``'sofa, couch'`` is one class with
    synonyms. ``inferencer('demo.jpg', vocabulary=['cat', 'sofa, couch'])['predictions']``: (H, W) indices.

    Args:
        model: Config file, ``Config`` or dict of the model; None: the checkpoint's
            (:func:`~.checkpoint.config_from_checkpoint`).
        weights: An ERR-Seg checkpoint; None keeps random weights (with a warning).
        vocabulary: Class names, a shipped vocabulary name or a vocabulary file;
            default: the checkpoint's ``dataset_meta`` classes, else the config's.
        num_selected: P kept per image (default: the config's ``test_cfg``); a P larger than the
            vocabulary is clamped with a warning.
        device: 'cpu', 'cuda', 'cuda:1', ...; default: cuda when available.
        cfg_options: Config overrides, e.g. ``{'model.crop_size': (768, 768)}``.
        scope: Registry scope.
        show_progress: Show a progress bar when more than one image is processed.
    """

    def __init__(self, model: Union[str, Path, dict, Config, None] = None, weights: Optional[str] = None,
                 vocabulary: Union[str, Sequence[str], None] = None, num_selected: Optional[int] = None,
                 device: Optional[str] = None, cfg_options: Optional[dict] = None, scope: str = 'mmseg',
                 show_progress: bool = True) -> None:
        if isinstance(model, (str, Path)):
            model = load_config(str(model))
        if model is None and weights is None:
            raise ValueError('give the model config (model=), an ERR-Seg checkpoint (weights=), or both')
        if device is not None:
            check_device(device)
        self._cfg_options = dict(cfg_options or {})
        self._warned: set = set()
        self._arrays = itertools.count()  # names of array inputs: image_000000, ...
        super().__init__(model=model, weights=weights, device=device, scope=scope, show_progress=show_progress)
        self.cfg = self.model.cfg
        self._config_num_selected = self.model.test_cfg.get('num_selected')
        self.num_selected = num_selected
        if vocabulary is not None:
            self.vocabulary = vocabulary

    def _init_model(self, cfg: ConfigDict, weights: Optional[str], device: str = 'cpu') -> ERRSeg:
        checkpoint = load_errseg_checkpoint(weights) if weights is not None else None
        source = 'the given config' if cfg else f'the model config saved in {weights}'
        if not cfg:  # no config given: the checkpoint says what it holds
            cfg = config_from_checkpoint(checkpoint, weights)
        config = Config(cfg.to_dict() if isinstance(cfg, Config) else dict(cfg))
        config.merge_from_dict(self._cfg_options)
        if 'model' not in config:
            raise ValueError(f'{source} has no `model`')
        if isinstance(config.model.get('backbone'), dict):
            config.model.backbone.pretrained = None  # every weight comes from the checkpoint
        config.model.pop('pretrained', None)
        init_default_scope(config.get('default_scope', self.scope or 'mmseg'))
        with config_errors(source):
            model = MODELS.build(config.model)
        if not isinstance(model, ERRSeg):
            raise ValueError(f'{source} builds a {type(model).__name__}, not an ERRSeg')
        if checkpoint is None:
            warnings.warn('no checkpoint given: the model has random weights')
        else:
            load_checked_state(model, checkpoint['state_dict'], weights, f'the model of {source}')
            model.dataset_meta = dict((checkpoint.get('meta') or {}).get('dataset_meta') or {})  # ERRSeg ignores {}
        model.cfg = config
        return model.to(device).eval()

    def _init_pipeline(self, cfg: ConfigDict) -> Compose:
        """The config's ``test_pipeline`` (annotations dropped) reading decoded images, or load + pack."""
        pipeline = [dict(t) for t in (self.model.cfg.get('test_pipeline') or _DEFAULT_PIPELINE)]
        pipeline = [t for t in pipeline if t.get('type') not in ('LoadAnnotations', 'LoadDepthAnnotation')]
        if not pipeline or 'Load' not in str(pipeline[0].get('type')):
            raise ValueError(f'the test_pipeline should start by loading the image, got {pipeline[:1]}')
        pipeline[0] = dict(type='LoadImageFromNDArray')  # images are decoded by read_image
        return Compose(pipeline)

    def _init_visualizer(self, cfg: ConfigDict) -> None:
        return None  # overlays are rendered by render_overlay

    @property
    def vocabulary(self) -> List[str]:
        """The class names; label ``i`` of every output is ``vocabulary[i]``."""
        return self.model.vocabulary

    @vocabulary.setter
    def vocabulary(self, names: Union[str, Sequence[str]]) -> None:
        self.model.set_vocabulary(names)  # validates; text embeddings are cached per vocabulary

    @property
    def num_selected(self) -> Optional[int]:
        """P asked for (None: the config's ``test_cfg.num_selected``)."""
        return self._num_selected

    @num_selected.setter
    def num_selected(self, value: Optional[int]) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f'num_selected (P) must be a positive integer, got {value!r}')
        self._num_selected = value

    @property
    def palette(self) -> np.ndarray:
        """(T, 3) uint8 RGB colours of the current vocabulary: the checkpoint's for its own classes, else generated."""
        return np.asarray(self.model.dataset_meta['palette'], dtype=np.uint8)  # ERRSeg keeps it of T colours

    def _apply_num_selected(self) -> None:
        t = len(self.vocabulary)
        asked = self._num_selected
        if asked is not None and asked > t and (asked, t) not in self._warned:
            self._warned.add((asked, t))
            warnings.warn(f'num_selected={asked} is larger than the vocabulary ({t} classes); using {t}', stacklevel=3)
        p = self._config_num_selected if asked is None else asked
        # the config's P (e.g. 32 for any vocabulary) clamps quietly; only an asked-for P warns
        self.model.test_cfg['num_selected'] = None if p is None else min(p, t)

    def _collect(self, inputs: Union[InputType, Sequence[InputType]]) -> List[tuple]:
        """(name, path or array) per image; paths checked and folders expanded up front."""
        if isinstance(inputs, (str, Path, np.ndarray)):
            inputs = [inputs]
        sources = []
        for item in inputs:
            if isinstance(item, np.ndarray):
                if item.dtype != np.uint8 or not (item.ndim == 2 or (item.ndim == 3 and item.shape[2] == 3)):
                    raise ValueError(f'an image array must be (H, W, 3) BGR or (H, W) uint8, '
                                     f'got {item.shape} {item.dtype}')
                sources.append(np.repeat(item[..., None], 3, axis=2) if item.ndim == 2 else item)
            else:
                sources.extend(collect_images([item]))
        names = [Path(s).stem if isinstance(s, str) else f'image_{next(self._arrays):06d}' for s in sources]
        check_unique_names(names, [s if isinstance(s, str) else 'an array input' for s in sources])
        return list(zip(names, sources))

    def iter_results(self, inputs: Union[InputType, Sequence[InputType]],
                     vocabulary: Union[str, Sequence[str], None] = None, batch_size: int = 1, out_dir: str = '',
                     opacity: float = 0.5, return_vis: bool = False,
                     skipped: Optional[List[str]] = None) -> Iterator[ImageResult]:
        """Segment images one batch at a time, yielding one :class:`ImageResult` per image in input order.

        Args:
            inputs: Image files, folders of images (not recursive), (H, W, 3) BGR uint8 arrays, or a list.
            vocabulary: If given, becomes the vocabulary (for this and later calls).
            batch_size: Images per forward pass (images of different sizes run one by one).
            out_dir: If given, write each image's :data:`OUTPUT_SUFFIXES` files as soon as it is done:
                overlay with legend, label map (8 or 16 bits) and area table (CSV).
            opacity: Weight of the class colours in the overlay, in [0, 1].
            return_vis: Keep the rendered overlay in the results.
            skipped: If given, image files that cannot be read or decoded are skipped and their
                errors (naming the file) appended to it; else the first one raises.
        """
        if vocabulary is not None:
            self.vocabulary = vocabulary
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'batch_size must be a positive integer, got {batch_size!r}')
        items = self._collect(inputs)
        self._apply_num_selected()
        bar = ProgressBar(len(items), file=sys.stderr) if self.show_progress and len(items) > 1 else None
        progress = bar.update if bar is not None else lambda: None
        try:
            for start in range(0, len(items), batch_size):
                batch = []  # (name, file or None, image) of the images that could be read
                for name, source in items[start:start + batch_size]:
                    try:
                        batch.append((name, source, read_image(source)) if isinstance(source, str)
                                     else (name, None, source))
                    except ValueError as e:
                        if skipped is None:
                            raise
                        skipped.append(str(e))
                        progress()
                groups = [batch] if len({image.shape[:2] for *_, image in batch}) == 1 else [[b] for b in batch]
                for group in groups:
                    data = self.collate_fn([self.pipeline(dict(img=image)) for *_, image in group])
                    samples, scores = self._forward_with_scores(data)
                    for (name, source, image), sample, image_scores in zip(group, samples, scores):
                        kept = sample.kept_classes  # a device tensor (no sync in the forward); lists for the caller
                        sample.set_metainfo(dict(kept_classes=kept.tolist(), kept_scores=image_scores[kept].tolist()))
                        yield self._result(name, source, image, sample, out_dir, opacity, return_vis)
                        progress()
        finally:
            if bar is not None:
                sys.stderr.write('\n')  # end the bar's line (an error starts on its own)

    def _forward_with_scores(self, data: dict) -> Tuple[List[SegDataSample], torch.Tensor]:
        """The predictions, and the class scores R(t) (B, T) by which RRHC kept P classes (recomputed from
        its inputs: its forward returns the kept classes only)."""
        scores = []
        handle = self.model.decode_head.rrhc.register_forward_hook(
            lambda rrhc, args, out: scores.append(rrhc.class_scores(rrhc.selection_cost(*args[:3]))))
        try:
            return self.forward(data), scores[0]
        finally:
            handle.remove()

    def _result(self, name: str, source: Optional[str], image: np.ndarray, sample: SegDataSample, out_dir: str,
                opacity: float, return_vis: bool) -> ImageResult:
        names, palette = self.vocabulary, self.palette
        labels = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
        if labels.min() < 0 or labels.max() >= len(names):
            raise RuntimeError(f'the model predicted labels outside the vocabulary [0, {len(names)})')
        counts = np.bincount(labels.ravel(), minlength=len(names))
        areas = area_table(counts, names)
        legend = legend_entries(counts, names, palette)
        vis = render_overlay(image[..., ::-1], labels, palette, legend, opacity) if out_dir or return_vis else None
        files = {kind: os.path.join(out_dir, name + sfx) for kind, sfx in OUTPUT_SUFFIXES.items()} if out_dir else {}
        if out_dir:
            write_label_map(files['labels'], labels, len(names))
            write_area_table(files['areas'], areas)
            write_png(files['overlay'], vis)  # last: its presence means the image is complete
        return ImageResult(name, source, labels, areas, legend, sample, vis if return_vis else None, files)

    def __call__(self, inputs: Union[InputType, Sequence[InputType]],
                 vocabulary: Union[str, Sequence[str], None] = None, return_datasamples: bool = False,
                 batch_size: int = 1, out_dir: str = '', opacity: float = 0.5,
                 return_vis: bool = False) -> Union[dict, SegDataSample, List[SegDataSample]]:
        """Segment images (arguments: :meth:`iter_results`); returns as ``MMSegInferencer`` the
        ``SegDataSample``(s) if ``return_datasamples``, else a dict of ``predictions`` (label maps),
        ``visualization`` (overlays, if ``return_vis``) and ``legend`` (the classes present), each a
        single item for a single image, else a list."""
        results = list(self.iter_results(inputs, vocabulary, batch_size, out_dir, opacity, return_vis))
        return self.postprocess(results, None, return_datasamples)

    def visualize(self, inputs: List[np.ndarray], preds: List[SegDataSample], opacity: float = 0.5) -> List[np.ndarray]:
        """RGB overlays with legends of BGR images and their predictions."""
        return [self._result('', None, image, pred, '', opacity, True).visualization
                for image, pred in zip(inputs, preds)]

    def postprocess(self, preds: List[ImageResult], visualization: Optional[List[np.ndarray]] = None,
                    return_datasample: bool = False) -> Union[dict, SegDataSample, List[SegDataSample]]:
        """Pack results as ``MMSegInferencer`` does (a single image unwrapped)."""
        def pack(values):
            return values[0] if len(values) == 1 else values
        if return_datasample:
            return pack([r.data_sample for r in preds])
        vis = [r.visualization for r in preds if r.visualization is not None]
        return dict(predictions=pack([r.labels for r in preds]), visualization=pack(vis) if vis else [],
                    legend=pack([r.legend for r in preds]))
