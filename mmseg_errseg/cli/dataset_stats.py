"""errseg dataset-stats: paper Table 1 (classes per image, redundancy) measured on the prepared data."""
from . import CommandError, positive_int


def add_parser(sub):
    p = sub.add_parser(
        'dataset-stats', help='paper Table 1: average classes per image and redundancy per dataset',
        description='Count the classes of every label map of the prepared evaluation sets (ignored pixels do '
        'not count) and report per dataset the average number of classes per image and the redundancy '
        '1 - average / T (T: the vocabulary size), beside the paper\'s Table 1 figures (labelled as the '
        'paper\'s). Writes the record dataset_stats.json and Table 1 (table1.csv, .md, .tex, table1_cells.csv) '
        'to --out.')
    p.add_argument('--datasets', default='voc20,pc59,ade150,pc459,ade847',
                   help='comma-separated benchmarks (default: the five of Table 1, in its order)')
    p.add_argument('--data-root', default='data', help='data root of the prepared datasets (default: data)')
    p.add_argument('--split', default='val', help='split (default: val)')
    p.add_argument('--out', default='work_dirs/dataset_stats', help='output folder (default: work_dirs/dataset_stats)')
    p.add_argument('--nproc', type=positive_int, default=1, help='worker processes (default: 1)')


def run(args) -> None:
    import datetime

    from ..analysis.dataset_stats import dataset_stats
    from ..datasets import get_benchmark
    from ..harness.paper_experiments import EXPERIMENTS
    from ..utils import environment_info, write_json
    from ..views import write_table

    names = [get_benchmark(n.strip()).name for n in args.datasets.split(',') if n.strip()]
    if not names:
        raise CommandError('--datasets is empty')
    df = dataset_stats(names, args.data_root, args.split, args.nproc)
    rows = {r['dataset']: r for r in df.to_dict(orient='records')}
    record = write_json(f'{args.out}/dataset_stats.json', dict(
        kind='dataset_stats', rows=list(rows.values()), data_root=args.data_root, split=args.split,
        environment=environment_info('cpu'),
        created=datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec='seconds')))

    def lookup(i, variant, column):
        if column.dataset not in rows:
            return None, f'not requested (--datasets {args.datasets})', ()
        return [dict(rows=[rows[column.dataset]])], None, (record.name,)

    files = write_table(EXPERIMENTS['table1'], lookup, args.out,
                        provenance=f'Produced by `errseg dataset-stats` on {args.data_root} ({args.split}).')
    print(files[1].read_text(encoding='utf-8'))
    print('written: ' + ', '.join(str(p) for p in [record, *files]))
