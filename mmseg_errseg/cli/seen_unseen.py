"""errseg seen-unseen: mIoU on seen and unseen classes (Table 5) from evaluation records and splits."""
from . import CommandError


def add_parser(sub):
    p = sub.add_parser(
        'seen-unseen', help='mIoU on seen / unseen classes from evaluation records and splits (Table 5)',
        description='Read evaluation records (JSON written by `errseg test`: per-class IoU) and seen/unseen '
        'split files (written by `errseg similarity`), compute per model and dataset the mean IoU over '
        'the seen and over the unseen classes that occur, and write Table 5 (table5.csv, .md, .tex, '
        "table5_cells.csv; the paper's figures in rows of their own, labelled). Rows are models (a config's "
        '"method_backbone"); a cell that cannot be computed says why.')
    p.add_argument('--records', nargs='+', required=True, metavar='PATH',
                   help='evaluation record files, or folders searched for them')
    p.add_argument('--splits', nargs='+', required=True, metavar='PATH',
                   help='split files, or folders holding split_<dataset>.json (an `errseg similarity` --out)')
    p.add_argument('--datasets', default='ade847,pc459,ade150', metavar='NAME[,NAME...]',
                   help='table columns (default: %(default)s, as the paper)')
    p.add_argument('--out', default='work_dirs/seen_unseen', metavar='DIR', help='output folder (default: %(default)s)')


def table5_view(records, splits, datasets):
    """Table 5 (the experiment and its lookup) over evaluation records and splits per dataset: per model
    its newest record's row, then the paper's rows."""
    from dataclasses import replace

    from ..analysis.seen_unseen import model_label
    from ..datasets import get_benchmark
    from ..harness.experiments import Column, Variant
    from ..harness.paper_experiments import EXPERIMENTS

    by_created = sorted(records, key=lambda r: str(r.get('created', '')))  # stable: of equal times, the last
    newest = {(model_label(r), r['dataset']): r for r in by_created}
    columns = tuple(Column(f'{get_benchmark(d).title} {s.capitalize()}', d, s, 'seen_unseen')
                    for d in datasets for s in ('seen', 'unseen'))
    names = {c.name for c in columns}
    paper = tuple(replace(v, label=f'{v.label} (paper)', paper={k: x for k, x in v.paper.items() if k in names},
                          paper_only="the paper's Table 5 (threshold 0.95, its own text encoder)")
                  for v in EXPERIMENTS['table5'].variants)
    models = tuple(Variant(m) for m in dict.fromkeys(map(model_label, records)))
    experiment = replace(EXPERIMENTS['table5'], columns=columns, variants=models + paper)

    def lookup(i, variant, column):
        if i >= len(models):
            return None, variant.paper_only, ()
        rec, split = newest.get((variant.label, column.dataset)), splits.get(column.dataset)
        if rec is None or split is None:
            return None, ' and '.join(w for w, gone in (('no eval record', rec is None),
                                                          ('no split file', split is None)) if gone), ()
        return [rec, dict(splits={column.dataset: split})], None, (rec.get('_source', 'record'),)
    return experiment, lookup


def run(args) -> None:
    from ..analysis.seen_unseen import load_eval_records, load_splits
    from ..views import write_table

    datasets = [d.strip() for d in args.datasets.split(',') if d.strip()]
    if not datasets:
        raise CommandError('--datasets: give at least one dataset, e.g. --datasets ade847')
    records = [r for r in load_eval_records(args.records) if r['dataset'] in datasets]
    splits = {k: v for k, v in load_splits(args.splits).items() if k in datasets}
    missing = [f'{what} for {", ".join(datasets)} in {" ".join(paths)} ({how})' for what, found, paths, how in (
        ('no evaluation record', records, args.records, 'write them with `errseg test`'),
        ('no split file', splits, args.splits, 'write them with `errseg similarity`')) if not found]
    if missing:
        raise CommandError('; '.join(missing))
    experiment, lookup = table5_view(records, splits, datasets)
    encoders = ', '.join(sorted({s.encoder for s in splits.values()}))
    files = write_table(experiment, lookup, args.out, provenance=(
        f'Ours: splits by text encoder `{encoders}`, threshold '
        f'{", ".join(sorted({f"{s.threshold:g}" for s in splits.values()}))}; different encoders give '
        'different splits. `errseg seen-unseen`.'))
    print(files[1].read_text(encoding='utf-8'))
    print(f'{len(records)} evaluation records, splits for {sorted(splits)}; wrote ' + ', '.join(map(str, files)))
