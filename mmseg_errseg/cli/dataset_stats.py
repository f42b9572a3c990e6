"""errseg dataset-stats: paper Table 1 (classes per image, redundancy) measured on the prepared data."""


def add_parser(sub):
    p = sub.add_parser(
        'dataset-stats', help='paper Table 1: average classes per image and redundancy per dataset',
        description='Count the classes of every label map of the prepared evaluation sets (ignored pixels do '
        'not count) and report per dataset the average number of classes per image and the redundancy '
        '1 - average / T (T: the vocabulary size), beside the paper\'s Table 1 figures (labelled as the '
        'paper\'s). Writes dataset_stats.csv, dataset_stats.md and dataset_stats.json to --out.')
    p.add_argument('--datasets', default='voc20,pc59,ade150,pc459,ade847',
                   help='comma-separated benchmarks (default: the five of Table 1, in its order)')
    p.add_argument('--data-root', default='data', help='data root of the prepared datasets (default: data)')
    p.add_argument('--split', default='val', help='split (default: val)')
    p.add_argument('--out', default='work_dirs/dataset_stats', help='output folder (default: work_dirs/dataset_stats)')
    p.add_argument('--nproc', type=int, default=1, help='worker processes (default: 1)')
    p.set_defaults(run=run)


def run(args) -> int:
    from mmseg_errseg.analysis.dataset_stats import dataset_stats, table1_markdown, write_dataset_stats

    from ..datasets import get_benchmark
    from . import CommandError

    if args.nproc < 1:
        raise CommandError(f'--nproc must be >= 1, got {args.nproc}')
    names = [get_benchmark(n.strip()).name for n in args.datasets.split(',') if n.strip()]
    if not names:
        raise CommandError('--datasets is empty')
    df = dataset_stats(names, args.data_root, args.split, args.nproc)
    paths = write_dataset_stats(df, args.out, dict(data_root=args.data_root, split=args.split))
    print(table1_markdown(df))
    print('written: ' + ', '.join(paths))
    return 0
