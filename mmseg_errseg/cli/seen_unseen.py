"""errseg seen-unseen: mIoU on seen and unseen classes (Table 5) from evaluation records and splits."""

_DEFAULT_DATASETS = 'ade847,pc459,ade150'


def add_parser(sub):
    p = sub.add_parser(
        'seen-unseen', help='mIoU on seen / unseen classes from evaluation records and splits (Table 5)',
        description='Read evaluation records (JSON written by `errseg test`: per-class IoU) and seen/unseen '
        'split files (written by `errseg similarity`), compute per model and dataset the mean IoU over '
        'the seen and over the unseen classes that occur, and write table5.csv (long form) and table5.md '
        "(the paper's layout, its figures beside ours, labelled). A cell that cannot be computed says why.")
    p.add_argument('--records', nargs='+', required=True, metavar='PATH',
                   help='evaluation record files, or folders searched for them')
    p.add_argument('--splits', nargs='+', required=True, metavar='PATH',
                   help='split files, or folders holding split_<dataset>.json (an `errseg similarity` --out)')
    p.add_argument('--datasets', default=_DEFAULT_DATASETS, metavar='NAME[,NAME...]',
                   help=f'table columns (default: {_DEFAULT_DATASETS}, as the paper)')
    p.add_argument('--out', default='work_dirs/seen_unseen', metavar='DIR',
                   help='output folder (default: work_dirs/seen_unseen)')
    p.set_defaults(run=run)


def run(args) -> int:
    from mmseg_errseg.analysis.seen_unseen import load_eval_records, load_splits, table5, table5_markdown, write_table5
    from . import CommandError
    datasets = [d.strip() for d in args.datasets.split(',') if d.strip()]
    if not datasets:
        raise CommandError('--datasets: give at least one dataset, e.g. --datasets ade847')
    records = load_eval_records(args.records)
    splits = load_splits(args.splits)
    frame = table5(records, splits, datasets)
    files = write_table5(frame, args.out)
    print(table5_markdown(frame))
    print(f'{len(records)} evaluation records, splits for {sorted(splits) or "no dataset"}; '
          f'wrote {files["csv"]} and {files["md"]}')
    return 0
