"""errseg profile CONFIG: GFLOPs (attention counted), parameters, memory and latency, as records."""
import argparse

from . import positive_int

_DESCRIPTION = """\
Profile the model of CONFIG on one image (batch 1, float32, class embeddings cached): GFLOPs (fvcore, \
1 FMA = 1 flop, attention counted; ptflops cross-checks), parameters, peak memory of live tensors, latency \
(median and spread over --runs), each per component. Weights are random unless --checkpoint is given: \
costs do not depend on them. The paper's Tables 4 and 11 are views over such records: \
`errseg reproduce --tables 4,11`."""
_EPILOG = """\
examples:
  errseg profile configs/_base_/models/errseg_convnext-b.py --benchmark A-847 --baselines
  errseg profile configs/_base_/models/errseg_convnext-b.py --num-classes 150 --num-selected 32 --json
  errseg profile configs/_base_/models/errseg_convnext-b.py --out-dir work_dirs/profile"""


def add_parser(sub):
    p = sub.add_parser(
        'profile', help='GFLOPs (attention counted), parameters, memory and latency per component',
        formatter_class=argparse.RawDescriptionHelpFormatter, description=_DESCRIPTION, epilog=_EPILOG)
    p.add_argument('config', help='model config (ERR-Seg, or any MMSeg segmentor)')
    what = p.add_argument_group('setting (default: the config\'s vocabulary, P and crop_size)')
    what.add_argument('--num-classes', type=int, metavar='T',
                      help='vocabulary size T (847/150/459/59/20/171: the benchmark\'s class names)')
    what.add_argument('--vocabulary', metavar='NAME|FILE', help='shipped vocabulary or class-name file')
    what.add_argument('--benchmark', metavar='NAME',
                      help='a benchmark (its paper title, e.g. A-847, or name): its classes and official test-time P')
    what.add_argument('--num-selected', type=int, metavar='P', help='kept classes P (ERR-Seg)')
    what.add_argument('--input', type=int, nargs=2, metavar=('H', 'W'),
                      help='network input size, positive multiples of 32 (default: crop_size)')
    what.add_argument('--baselines', action='store_true',
                      help='also profile SAN ViT-B/16 (MMSeg\'s own config) and the cost-aggregation '
                      'baseline (every reduction off: P = T, no SSR/CSR, vanilla MLP)')
    how = p.add_argument_group('measurement')
    how.add_argument('--device', default='cpu', help='cpu or cuda[:index] (default: cpu)')
    how.add_argument('--runs', type=int, default=5, metavar='N', help='timed runs (default: 5)')
    how.add_argument('--warmup', type=int, default=1, metavar='W', help='warm-up runs (default: 1)')
    how.add_argument('--threads', type=positive_int, metavar='N', help='torch CPU threads (default: torch\'s)')
    how.add_argument('--execution', nargs='+', default=['eager'], metavar='MODE',
                     choices=('eager', 'channels-last', 'bf16', 'compile'),
                     help='execution modes timed in this run, the first is the reference the others are compared '
                     'with (speed and logits): eager, channels-last, bf16, compile (default: eager)')
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
    out.add_argument('--out-dir', metavar='DIR', help='write one JSON record per model there')


def run(args) -> None:
    import json

    import torch

    from ..profiling import run_specs, setting_specs
    from ..views import format_record

    if args.threads is not None:
        torch.set_num_threads(args.threads)
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
        print(json.dumps(records if len(records) > 1 else records[0], indent=2))
