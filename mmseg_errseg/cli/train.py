"""errseg train CONFIG: MMSeg's tools/train.py for ERR-Seg configs (mmengine's Runner)."""
import argparse
import os
import os.path as osp

from . import CommandError, cfg_options


def add_parser(sub):
    p = sub.add_parser(
        'train', help="train a model from a config (as MMSeg's tools/train.py)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train the model of CONFIG with mmengine's Runner, exactly as MMSeg's tools/train.py: "
        'checkpoints and logs go to the work dir, --resume continues from its last checkpoint.',
        epilog='examples:\n'
        '  errseg train configs/errseg/errseg_convnext-b_1xb4-80k_coco-stuff171-640x640.py\n'
        '  torchrun --nproc_per_node 4 -m mmseg_errseg train CONFIG --launcher pytorch\n'
        '  errseg train CONFIG --cfg-options train_dataloader.dataset.data_root=data/my_set')
    p.add_argument('config', help='training config file')
    p.add_argument('--work-dir', help='where logs and checkpoints go (default: work_dirs/CONFIG_NAME)')
    p.add_argument('--resume', action='store_true', help="resume from the work dir's last checkpoint")
    p.add_argument('--amp', action='store_true', help='automatic mixed precision (AmpOptimWrapper)')
    p.add_argument('--launcher', choices=('none', 'pytorch', 'slurm', 'mpi'), default='none',
                   help='how the processes were started (pytorch: torchrun, on CPUs too; slurm: srun; mpi: mpirun)')
    p.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE', help="config overrides, as MMSeg's tools")
    p.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)


def run(args) -> None:
    from mmengine.runner import Runner
    from mmseg.registry import RUNNERS

    from ..harness.distributed import setup_launcher
    from ..utils import config_errors, load_config

    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = load_config(args.config, cfg_options(args.cfg_options))
    cfg.launcher = args.launcher
    if args.launcher != 'mpi':  # mmengine's pytorch launcher sets a CUDA device: join with gloo on CPUs instead
        dist = setup_launcher(args.launcher)
        if dist.distributed and not dist.cuda and 'model_wrapper_cfg' not in cfg:  # a CPU module: no device ids
            cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', broadcast_buffers=False, device_ids=None,
                                         find_unused_parameters=cfg.get('find_unused_parameters', False))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise CommandError(f'--amp needs optim_wrapper.type OptimWrapper, the config has {wrapper}')
        cfg.optim_wrapper.update(type='AmpOptimWrapper', loss_scale='dynamic')
    cfg.resume = args.resume
    with config_errors(args.config):
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()
    print(f'trained: checkpoints and logs in {cfg.work_dir}')
