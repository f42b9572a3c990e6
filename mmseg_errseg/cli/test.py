"""errseg test CONFIG CHECKPOINT --dataset NAME: open-vocabulary evaluation with a metrics record."""
import argparse

from . import bounded, cfg_options, positive_int

#: the benchmarks' names (``datasets.BENCHMARKS``, which --help cannot import: it imports torch)
DATASETS = ('ade847', 'pc459', 'ade150', 'pc59', 'voc20', 'coco_stuff171')


def add_parser(sub):
    p = sub.add_parser(
        'test', help='evaluate a checkpoint on a benchmark and write its metrics record',
        description='Evaluate CHECKPOINT with mmengine\'s test loop on a benchmark: the model\'s vocabulary '
        'becomes the dataset\'s class names and its test-time P the official one; the official test pipeline '
        '(shortest edge 800, max 1333; the model resizes to its crop size; predictions at the original size) '
        'and the official mIoU (detectron2\'s: over the classes in the ground truth) at the dataset\'s ignore '
        'index. Writes a JSON record (mIoU, mAcc, aAcc, per-class IoU/Acc and pixel counts, dataset, P, crop '
        f'size, config hash, environment) and prints a summary. Datasets: {", ".join(DATASETS)}. Under torchrun: '
        '--launcher pytorch.')
    p.add_argument('config', nargs='?', help='ERR-Seg config (a training config or an errseg_*_eval-* config); '
                   'default: the checkpoint\'s own (a converted official one at its official crop, 768 for L)')
    p.add_argument('checkpoint', help='checkpoint of that model (convert official ones with convert-official)')
    p.add_argument('--dataset', help='benchmark to evaluate on (default: the config\'s test set)')
    p.add_argument('--data-root', help="data root holding the prepared dataset (default: the config's, else data/)")
    p.add_argument('--out', help='record file (default: WORK_DIR/eval_DATASET.json)')
    p.add_argument('--work-dir', help='Runner work dir (default: work_dirs/CONFIG_NAME/eval_DATASET)')
    p.add_argument('--num-selected', type=positive_int, metavar='P', help='test-time P instead of the official one')
    p.add_argument('--num-workers', type=bounded(int, 0, what='a non-negative integer'),
                   help='dataloader workers (default: 2)')
    p.add_argument('--device', help='cpu or cuda[:index] (default: CUDA when available, else cpu)')
    p.add_argument('--launcher', choices=('none', 'pytorch', 'slurm'), default='none',
                   help='how the processes were started (pytorch: torchrun, slurm: srun); each evaluates its '
                   'share of the images, the first writes the record')
    p.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE',
                   help='config overrides, as MMSeg\'s tools (applied last)')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)


def run(args) -> None:
    from mmengine.dist import is_main_process

    from ..evaluation import evaluate, format_summary
    from ..harness.distributed import setup_launcher
    from ..utils import config_errors

    setup_launcher(args.launcher)
    with config_errors(args.config or args.checkpoint):
        record = evaluate(args.config, args.checkpoint, dataset=args.dataset, data_root=args.data_root,
                          out=args.out, work_dir=args.work_dir, num_selected=args.num_selected,
                          num_workers=args.num_workers, cfg_options=cfg_options(args.cfg_options),
                          device=args.device, launcher=args.launcher)
    if is_main_process():
        print(format_summary(record))
