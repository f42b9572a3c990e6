"""errseg profile CONFIG: GFLOPs (attention counted), parameters, memory and latency."""
import argparse


def add_parser(sub):
    p = sub.add_parser(
        'profile', help='GFLOPs (attention counted), parameters, memory and latency per component',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Profile the model of CONFIG on one image (batch 1, float32, class embeddings '
        'cached):\n'
        '  GFLOPs   fvcore, 1 FMA = 1 flop, with scaled_dot_product_attention counted (fvcore, '
        'mmengine.analysis\n'
        '           and ptflops skip it silently); the ops still uncounted are listed; ptflops '
        '(aten backend)\n'
        '           cross-checks the matrix-product share\n'
        '  params   total / trainable / visual / text / decoder\n'
        '  memory   peak over the pre-forward baseline: CUDA max allocated, or process peak RSS '
        'on CPU\n'
        '  latency  warm-up, synchronised, median and spread over --runs\n'
        '  per component (ERR-Seg: CLIP visual, RRHC, RRCA guidance / spatial / class, upsampling '
        'decoder)\n'
        'Weights are random unless --checkpoint is given: costs do not depend on them.',
        epilog='examples:\n'
        '  errseg profile configs/_base_/models/errseg_convnext-b.py --benchmark A-847 --baselines\n'
        '  errseg profile configs/_base_/models/errseg_convnext-b.py --num-classes 150 '
        '--num-selected 32 --json\n'
        '  errseg profile configs/_base_/models/errseg_convnext-b.py --table 11 --out-dir '
        'work_dirs/profile\n'
        '  errseg profile --table 11 --records work_dirs/profile --out-dir work_dirs/profile')
    p.add_argument('config', nargs='?', help='model config (ERR-Seg, or any MMSeg segmentor)')
    what = p.add_argument_group('setting (default: the config\'s vocabulary, P and crop_size)')
    what.add_argument('--num-classes', type=int, metavar='T',
                      help='vocabulary size T (847/150/459/59/20/171: the benchmark\'s class names)')
    what.add_argument('--vocabulary', metavar='NAME|FILE', help='shipped vocabulary or class-name file')
    what.add_argument('--benchmark', choices=('A-847', 'PC-459', 'A-150', 'PC-59', 'PAS-20'),
                      help='the benchmark\'s classes and official test-time P')
    what.add_argument('--num-selected', type=int, metavar='P', help='kept classes P (ERR-Seg)')
    what.add_argument('--input', type=int, nargs=2, metavar=('H', 'W'),
                      help='network input size, positive multiples of 32 (default: crop_size)')
    what.add_argument('--baselines', action='store_true',
                      help='also profile SAN ViT-B/16 (MMSeg\'s own config) and the cost-aggregation '
                      'baseline (every reduction off: P = T, no SSR/CSR, vanilla MLP)')
    what.add_argument('--table', choices=('4', '11'),
                      help='profile what the paper\'s Table 4 (A-847 and A-150, with baselines) or '
                      'Table 11 (SSR/CSR on/off) needs and write the table beside the paper\'s figures')
    how = p.add_argument_group('measurement')
    how.add_argument('--device', default='cpu', help='cpu or cuda[:index] (default: cpu)')
    how.add_argument('--runs', type=int, default=5, metavar='N', help='timed runs (default: 5)')
    how.add_argument('--warmup', type=int, default=1, metavar='W', help='warm-up runs (default: 1)')
    how.add_argument('--threads', type=int, metavar='N', help='torch CPU threads (default: torch\'s)')
    how.add_argument('--execution', nargs='+', default=['eager'], metavar='MODE',
                     choices=('eager', 'channels-last', 'bf16', 'compile'),
                     help='execution modes timed in this run, the first is the reference the others '
                     'are compared with (speed and logits): eager, channels-last, bf16, compile '
                     '(default: eager)')
    how.add_argument('--text', choices=('random', 'encode'), default='random',
                     help='cache random unit class embeddings (default; costs do not depend on them) '
                     'or run the text tower once (meaningful with --checkpoint)')
    how.add_argument('--checkpoint', metavar='FILE', help='weights for CONFIG\'s model (optional)')
    how.add_argument('--no-ptflops', action='store_true', help='skip the ptflops cross-check')
    how.add_argument('--no-components', action='store_true', help='skip the per-component timing')
    how.add_argument('--component-runs', type=int, default=1, metavar='N',
                     help='instrumented runs for the component times, median reported (default: 1)')
    out = p.add_argument_group('output')
    out.add_argument('--json', action='store_true', help='print the records as JSON only')
    out.add_argument('--records', nargs='+', metavar='PATH',
                     help='with --table: render the table from records written before (JSON files or '
                     'directories) instead of profiling; CONFIG is not needed')
    out.add_argument('--out-dir', metavar='DIR',
                     help='write one JSON record per model (and with --table, the table as CSV and '
                     'Markdown) there')
    p.set_defaults(run=run)


def run(args) -> int:
    import json
    import sys

    import torch

    from ..profiling import (TABLES, format_comparison, format_record, load_records, render_table,
                             run_specs, setting_specs, table_specs, write_paper_table)
    from . import CommandError

    if args.records:
        if not args.table:
            raise CommandError('--records renders a paper table: add --table 4 or --table 11')
        records = load_records(args.records)
        print(render_table(TABLES[args.table](records)))
        if args.out_dir:
            for path in write_paper_table(args.table, records, args.out_dir):
                print(f'written: {path}')
        return 0
    if args.config is None:
        raise CommandError('give CONFIG (or --records with --table to render a table from records)')
    if args.threads is not None:
        if args.threads < 1:
            raise CommandError(f'--threads must be >= 1, got {args.threads}')
        torch.set_num_threads(args.threads)
    if args.table:
        clash = [o for o, v in (('--num-classes', args.num_classes), ('--vocabulary', args.vocabulary),
                                ('--benchmark', args.benchmark), ('--num-selected', args.num_selected))
                 if v is not None]
        if clash:
            raise CommandError(f'--table {args.table} sets the classes and P itself; drop {", ".join(clash)}')
        specs = table_specs(args.table, args.config, input_size=args.input, text=args.text,
                            checkpoint=args.checkpoint)
    else:
        specs = setting_specs(args.config, num_classes=args.num_classes, vocabulary=args.vocabulary,
                              benchmark=args.benchmark, num_selected=args.num_selected,
                              input_size=args.input, baselines=args.baselines, text=args.text,
                              checkpoint=args.checkpoint)
    show = None if args.json else (lambda rec: print(format_record(rec) + '\n', flush=True))
    records = run_specs(specs, args.device, out_dir=args.out_dir, progress=True, on_record=show,
                        runs=args.runs, warmup=args.warmup, ptflops=not args.no_ptflops,
                        components=not args.no_components, component_runs=args.component_runs,
                        executions=tuple(args.execution))
    if args.json:
        json.dump(records if len(records) > 1 else records[0], sys.stdout, indent=2)
        sys.stdout.write('\n')
        return 0
    if args.table:
        frame = TABLES[args.table](records)
        print(f'Table {args.table} (ours beside the paper\'s figures):')
        print(render_table(frame))
        if args.out_dir:
            for path in write_paper_table(args.table, records, args.out_dir):
                print(f'written: {path}')
    elif len(records) > 1:
        print(format_comparison(records))
    return 0
