"""The benchmark registry: every per-dataset fact (dataset class, prepared layout, vocabulary, test-time P,
ignore index, label encoding) of the training set and the five OVSS benchmarks, in one table. The layout
is the official ``DETECTRON2_DATASETS`` one, so data prepared for the official code works as is.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, NamedTuple, Optional, Tuple

from ..vocabularies import load_vocabulary

__all__ = ['Benchmark', 'Split', 'BENCHMARKS', 'EVAL_BENCHMARKS', 'TRAIN_BENCHMARK', 'get_benchmark', 'Vocabulary',
           'resolve_vocabulary', 'test_pipeline', 'train_pipeline', 'RESIZE_BACKENDS']

#: How the test pipeline decodes and resizes the image: 'pillow' as the official code (pixel for pixel),
#: 'cv2' as MMSeg's ``ResizeShortestEdge`` (kept for comparison; see ``transforms.py``).
RESIZE_BACKENDS = ('pillow', 'cv2')


@dataclass(frozen=True)
class Split:
    """Where one split lives under the data root: its images, its label maps (which define the split), and
    the image count of the full public release (``None`` where it depends on the annotation file)."""
    img_dir: str
    seg_dir: str
    official_count: Optional[int] = None


@dataclass(frozen=True)
class Benchmark:
    """One dataset of the paper (§4.1).

    Args:
        name: Short name (``ade847``), also the shipped vocabulary's name.
        title: The paper's name (``A-847``).
        dataset_type: Registered dataset class.
        num_classes: T, the vocabulary size.
        num_selected: Test-time P of the official evaluation.
        ignore_index: Label of ignored pixels, never a class id (65535 where 255 is one: A-847, PC-459).
        seg_map_suffix: Suffix of the prepared label maps (images: ``.jpg``).
        splits: ``'val'`` (and ``'train'`` for COCO-Stuff).
        raw_release: The public release ``errseg prepare`` converts.
    """
    name: str
    title: str
    dataset_type: str
    num_classes: int
    num_selected: int
    ignore_index: int
    seg_map_suffix: str
    splits: Mapping[str, Split]
    raw_release: str

    @property
    def vocabulary(self) -> str:
        """Name of the shipped class-name list."""
        return self.name

    @property
    def label_bits(self) -> int:
        """8 for uint8 PNG label maps, 16 for uint16 TIFF ones."""
        return 16 if self.ignore_index > 255 else 8

    def classes(self) -> Tuple[str, ...]:
        """The class names (the model's vocabulary on this dataset)."""
        return tuple(load_vocabulary(self.vocabulary))

    def split(self, split: str) -> Split:
        if split not in self.splits:
            raise ValueError(f'{self.name} has no split {split!r}; it has {sorted(self.splits)}')
        return self.splits[split]

    def dataset_cfg(self, data_root: str = 'data/', split: str = 'val', pipeline: Optional[List[dict]] = None) -> dict:
        """The MMSeg dataset config of a split (test pipeline by default)."""
        s = self.split(split)
        return dict(type=self.dataset_type, data_root=data_root,
                    data_prefix=dict(img_path=s.img_dir, seg_map_path=s.seg_dir),
                    pipeline=test_pipeline(self) if pipeline is None else pipeline)

    def test_dataloader(self, data_root: str = 'data/', num_workers: int = 2) -> dict:
        """Batch 1 (images keep their own size), sequential, the official test pipeline."""
        return dict(batch_size=1, num_workers=num_workers, persistent_workers=num_workers > 0,
                    sampler=dict(type='DefaultSampler', shuffle=False), dataset=self.dataset_cfg(data_root, 'val'))

    def evaluator(self) -> dict:
        """MMSeg's IoU metric (with per-class records) at this dataset's ignore index."""
        return dict(type='PerClassIoUMetric', iou_metrics=['mIoU'], ignore_index=self.ignore_index)


def test_pipeline(benchmark: Benchmark, resize_backend: str = 'pillow') -> List[dict]:
    """Official (detectron2) test pipeline: shortest edge 800 (longest at most 1333) by ``resize_backend``
    (:data:`RESIZE_BACKENDS`); labels loaded after the resize, at the original size (the evaluator's)."""
    resize = {'pillow': [dict(type='LoadImageFromFile', imdecode_backend='pillow'),
                         dict(type='PillowResizeShortestEdge', scale=800, max_size=1333)],
              'cv2': [dict(type='LoadImageFromFile'), dict(type='ResizeShortestEdge', scale=800, max_size=1333)]}
    if resize_backend not in resize:
        raise ValueError(f'resize_backend must be one of {RESIZE_BACKENDS}, got {resize_backend!r}')
    load = 'LoadFullRangeAnnotations' if benchmark.label_bits == 16 else 'LoadAnnotations'
    return [*resize[resize_backend], dict(type=load), dict(type='PackSegInputs')]


def train_pipeline(crop_size: Tuple[int, int] = (640, 640)) -> List[dict]:
    """Official COCO-Stuff training pipeline (detectron2 ``mask_former_semantic`` mapper)."""
    return [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='ResizeShortestEdge', scale=crop_size[0], max_size=1333),
        dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
        dict(type='PhotoMetricDistortion'),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackSegInputs'),
    ]


_VOC2010 = 'VOCdevkit/VOC2010'

BENCHMARKS: Dict[str, Benchmark] = {b.name: b for b in (
    Benchmark(
        name='ade847', title='A-847', dataset_type='ADE20K847Dataset', num_classes=847,
        num_selected=48, ignore_index=65535, seg_map_suffix='.tif',
        splits={'val': Split('ADE20K_2021_17_01/images_detectron2/validation',
                             'ADE20K_2021_17_01/annotations_detectron2/validation', 2000)},
        raw_release='the full ADE20K release ADE20K_2021_17_01 (index_ade20k.pkl, images/ADE/validation/)'),
    Benchmark(
        name='pc459', title='PC-459', dataset_type='PascalContext459Dataset', num_classes=459,
        num_selected=48, ignore_index=65535, seg_map_suffix='.tif',
        splits={'val': Split(f'{_VOC2010}/JPEGImages', f'{_VOC2010}/annotations_detectron2/pc459_val', 5104)},
        raw_release='VOCdevkit/VOC2010 (JPEGImages/) with PASCAL-Context trainval.tar.gz extracted into it '
        '(trainval/*.mat)'),
    Benchmark(
        name='ade150', title='A-150', dataset_type='ADE20K150Dataset', num_classes=150,
        num_selected=32, ignore_index=255, seg_map_suffix='.png',
        splits={'val': Split('ADEChallengeData2016/images/validation',
                             'ADEChallengeData2016/annotations_detectron2/validation', 2000)},
        raw_release='ADEChallengeData2016 (images/validation/, annotations/validation/)'),
    Benchmark(
        name='pc59', title='PC-59', dataset_type='PascalContext59Dataset', num_classes=59,
        num_selected=24, ignore_index=255, seg_map_suffix='.png',
        splits={'val': Split(f'{_VOC2010}/JPEGImages', f'{_VOC2010}/annotations_detectron2/pc59_val')},
        raw_release='VOCdevkit/VOC2010 (JPEGImages/) with trainval_merged.json or the PASCAL-Context trainval/*.mat'),
    Benchmark(
        name='voc20', title='PAS-20', dataset_type='PascalVOC20Dataset', num_classes=20,
        num_selected=16, ignore_index=255, seg_map_suffix='.png',
        splits={'val': Split('VOCdevkit/VOC2012/JPEGImages', 'VOCdevkit/VOC2012/annotations_detectron2/val', 1449)},
        raw_release='VOCdevkit/VOC2012 (JPEGImages/, ImageSets/Segmentation/val.txt, '
        'SegmentationClassAug/ or SegmentationClass/)'),
    Benchmark(
        name='coco_stuff171', title='COCO-Stuff', dataset_type='COCOStuff171Dataset', num_classes=171,
        num_selected=32, ignore_index=255, seg_map_suffix='.png',
        splits={'train': Split('coco-stuff/images/train2017', 'coco-stuff/annotations_detectron2/train2017', 118287),
                'val': Split('coco-stuff/images/val2017', 'coco-stuff/annotations_detectron2/val2017', 5000)},
        raw_release='coco-stuff/ (images/{train2017,val2017}/, annotations/{train2017,val2017}/ '
        'from stuffthingmaps_trainval2017.zip)'),
)}

#: The five evaluation benchmarks, in the paper's table order.
EVAL_BENCHMARKS = ('ade847', 'pc459', 'ade150', 'pc59', 'voc20')
#: The training set.
TRAIN_BENCHMARK = 'coco_stuff171'


def _normalised(name: str) -> str:
    return ''.join(ch for ch in str(name).lower() if ch.isalnum())


_KEYS = {_normalised(alias): b.name for b in BENCHMARKS.values() for alias in (b.name, b.title)}


def get_benchmark(name: str) -> Benchmark:
    """The benchmark of a short name or the paper's name (``A-847``; case, '-' and '_' ignored)."""
    key = _KEYS.get(_normalised(name))
    if key is None:
        raise ValueError(f'unknown dataset {name!r}: expected one of {", ".join(BENCHMARKS)}')
    return BENCHMARKS[key]


class Vocabulary(NamedTuple):
    """Class names and where they come from (a benchmark's name, a file's stem, ...)."""
    source: str
    names: List[str]


def resolve_vocabulary(spec: str) -> Vocabulary:
    """The vocabulary of a benchmark (short or paper name, as :func:`get_benchmark`) or of a class-name file
    (.json list or one name per line; its source is the file's stem)."""
    key = _KEYS.get(_normalised(spec))
    if key is None and not Path(spec).is_file():
        raise FileNotFoundError(f'unknown vocabulary {spec!r}: expected a benchmark\'s ({", ".join(BENCHMARKS)}), a '
                                f'paper name ({", ".join(b.title for b in BENCHMARKS.values())}) or a class-name file')
    names = load_vocabulary(key or spec)
    if not names:
        raise ValueError(f'vocabulary {spec!r} is empty: it needs at least one class name')
    return Vocabulary(key or Path(spec).stem, names)
