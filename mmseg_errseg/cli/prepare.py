"""errseg prepare DATASET --src RAW --dst DATA_ROOT: public release -> the layout the configs read."""
import argparse
import textwrap

from . import positive_int

_RAW = {
    'ade847': 'ADE20K_2021_17_01/ (full ADE20K release: index_ade20k.pkl, images/ADE/validation/)',
    'pc459': 'VOCdevkit/VOC2010/ with JPEGImages/ and trainval/*.mat (PASCAL-Context trainval.tar.gz)',
    'ade150': 'ADEChallengeData2016/ (images/validation/, annotations/validation/)',
    'pc59': 'VOCdevkit/VOC2010/ with JPEGImages/ and trainval_merged.json (or trainval/*.mat)',
    'voc20': 'VOCdevkit/VOC2012/ (JPEGImages/, ImageSets/Segmentation/val.txt, SegmentationClass[Aug]/)',
    'coco_stuff171': 'coco-stuff/ (images/{train2017,val2017}/, annotations/{train2017,val2017}/ stuffthingmaps)',
}


def add_parser(sub):
    datasets = '\n'.join(f'  {k:<14} {v}' for k, v in _RAW.items())
    p = sub.add_parser(
        'prepare', help='convert a public dataset release into the layout the configs read',
        description=textwrap.fill(
            'Convert the public raw release of DATASET (--src, may lie inside --dst) into the layout of the '
            'official preparation (DETECTRON2_DATASETS) under the data root --dst, label maps as the official '
            'scripts convert them. Idempotent: existing outputs are checked, not rewritten; atomic writes, so '
            'an interrupted run resumes.', 79) + '\n\nRAW per DATASET:\n' + datasets,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('dataset', metavar='DATASET', choices=list(_RAW), help=', '.join(_RAW))
    p.add_argument('--src', required=True, metavar='RAW', help='the raw release folder (see above)')
    p.add_argument('--dst', required=True, metavar='DATA_ROOT', help='data root to write into (e.g. data)')
    p.add_argument('--nproc', type=positive_int, default=1, help='worker processes (default: 1)')
    p.add_argument('--link', choices=['symlink', 'hardlink', 'copy'],
                   help='how unchanged images are placed in DATA_ROOT (default: symlink)')
    p.add_argument('--overwrite', action='store_true', help='rewrite outputs that already exist')
    p.add_argument('--splits', help='coco_stuff171 only: train,val (default: both)')
    p.add_argument('--ids', metavar='FILE', help='pc459 / pc59: validation id list (default: the 5,104 '
                   'PASCAL-Context ids shipped with the package); pc59 then reads trainval/*.mat, not the JSON')


def run(args) -> None:
    from ..datasets.prepare import prepare

    splits = [s.strip() for s in args.splits.split(',') if s.strip()] if args.splits else None
    report = prepare(args.dataset, args.src, args.dst, nproc=args.nproc, link=args.link,
                     overwrite=args.overwrite, splits=splits, ids=args.ids)
    print('\n'.join(report.lines()))
