"""errseg reproduce: regenerate the paper's tables and plots (planned, resumable runs)."""
import argparse

from . import cfg_options


def add_parser(sub):
    p = sub.add_parser(
        'reproduce', help="regenerate the paper's tables and plots (resumable; --smoke: toy scale on a CPU)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Regenerate the paper\'s Tables 1-14 and Figures 1, 6 and 7: plan the runs they need, show\n'
        'what will run and what cannot (with the flag that would enable it), run what is not recorded yet (one\n'
        'JSON record each under WORK_DIR/records), render every table and plot under --out. Interrupt it any\n'
        'time: finished runs are kept, trainings resume.\n\n'
        '--smoke: every experiment at toy scale in minutes on a CPU (the tiny model, 6 iterations, generated\n'
        'data; efficiency at full size). Every output says SMOKE: not results.',
        epilog='examples:\n'
        '  errseg reproduce --smoke\n'
        '  errseg reproduce --tables 4,11 --dry-run\n'
        '  errseg reproduce --tables 7,8,14 --checkpoint b=errseg_b.pth --checkpoint l=errseg_l.pth \\\n'
        '      --data-root data\n'
        '  torchrun --nproc_per_node 4 -m mmseg_errseg reproduce --launcher pytorch --data-root data\n'
        '  srun -N 2 --ntasks-per-node 4 errseg reproduce --launcher slurm --data-root data\n'
        '  errseg reproduce --executor slurm --partition gpu --resources train.gpus=4 train.time=4320 \\\n'
        '      eval.gpus=1 --data-root data        # every run its own Slurm job (submitit)\n'
        '  errseg reproduce --status work_dirs/reproduce')
    p.add_argument('--tables', default='all', metavar='LIST',
                   help='"all" (default) or a comma list of tables and figures: 1-14, fig1, fig6, fig7 (e.g. 4,8,11)')
    p.add_argument('--data-root', metavar='DIR', help='data root of the prepared datasets (errseg prepare)')
    p.add_argument('--checkpoint', dest='checkpoints', action='append', default=[], metavar='[b=|l=]CKPT',
                   help='official weights of ERR-Seg-B (CKPT or b=CKPT) or ERR-Seg-L (l=CKPT), standing in for '
                   'the training of the official configuration; repeat for both')
    p.add_argument('--work-dir', metavar='DIR', help='records, trainings and evaluations '
                   '(default: work_dirs/reproduce, or work_dirs/reproduce-smoke)')
    p.add_argument('--out', metavar='DIR', help='tables and plots (default: results, or results/smoke)')
    p.add_argument('--launcher', choices=('none', 'pytorch', 'slurm'), default='none',
                   help='pytorch: under torchrun (CPU: gloo), slurm: under srun (GPUs); trainings run in every '
                   'process, the rest in the first one')
    p.add_argument('--smoke', action='store_true', help='toy scale (see above)')
    p.add_argument('--dry-run', action='store_true', help='show the plan and exit')
    p.add_argument('--datasets', metavar='LIST', type=lambda s: [d.strip() for d in s.split(',') if d.strip()],
                   help='only these benchmarks (comma list of ade847, pc459, ade150, pc59, voc20)')
    p.add_argument('--threads', type=int, metavar='N', help='torch CPU threads (default: 1 with --smoke)')
    p.add_argument('--num-workers', type=int, metavar='N',
                   help='evaluation dataloader workers (default: 0 with --smoke, else the benchmark\'s)')
    p.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                   help='overrides of every training config (they change the record keys)')
    p.add_argument('--accept-stale', action='store_true',
                   help='show records made by other code (or library versions), marked, instead of running again')
    p.add_argument('--executor', choices=('inline', 'submitit-local', 'slurm'), default='inline',
                   help='inline (default): every run in this process; slurm: every run its own Slurm job '
                   '(submitit); submitit-local: the same jobs as subprocesses here')
    p.add_argument('--max-parallel', type=int, metavar='N',
                   help='jobs in flight at most (default: no limit on Slurm, 1 with submitit-local)')
    p.add_argument('--resources', nargs='+', default=[], metavar='KIND.KEY=VALUE',
                   help='job resources per run kind (train, eval, profile, analysis, or all): gpus (per node), '
                   'nodes, time (minutes), cpus (per task), partition; e.g. train.gpus=4 train.time=4320 eval.gpus=1')
    p.add_argument('--partition', metavar='NAME', help='Slurm partition of every job')
    p.add_argument('--status', metavar='WORK_DIR',
                   help='show where every run of the sweep that used WORK_DIR stands and exit')


def run(args) -> int:
    from ..harness.reproduce import parse_checkpoints, reproduce
    from ..views import write_results

    args.checkpoints = parse_checkpoints(args.checkpoints)
    args.cfg_options = cfg_options(args.cfg_options) or {}
    return reproduce(args, args.argv, render=write_results)
