"""Launchers: one process, or several under torchrun / slurm, as mmengine's Runner runs them (on CPU: gloo)."""
import os
from dataclasses import dataclass

__all__ = ['LAUNCHERS', 'DistInfo', 'setup_launcher', 'leave_group']

LAUNCHERS = ('none', 'pytorch', 'slurm')


@dataclass
class DistInfo:
    """This process in the sweep: its launcher (one of :data:`LAUNCHERS`), global rank, the number of
    processes, and whether they train on CUDA GPUs."""
    launcher: str = 'none'
    rank: int = 0
    world_size: int = 1
    cuda: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.launcher != 'none'


def setup_launcher(launcher: str) -> DistInfo:
    """Join the process group of a launcher (before mmengine's Runner, which then reuses it).

    Raises:
        ValueError: An unknown launcher, a launcher without its environment, or processes started
            by torchrun without ``--launcher pytorch``.
    """
    import torch
    import torch.distributed as dist

    if launcher not in LAUNCHERS:
        raise ValueError(f'--launcher {launcher!r}: expected one of {", ".join(LAUNCHERS)}')
    cuda = torch.cuda.is_available()
    if launcher == 'none':
        if int(os.environ.get('WORLD_SIZE', '1')) > 1:
            raise ValueError(f'started as one of {os.environ["WORLD_SIZE"]} processes (torchrun) but --launcher is '
                             'none: add --launcher pytorch')
        return DistInfo('none', 0, 1, cuda)
    if launcher == 'pytorch':
        missing = [v for v in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT') if v not in os.environ]
        if missing:
            raise ValueError(f'--launcher pytorch needs the environment torchrun sets ({", ".join(missing)} missing): '
                             'torchrun --nproc_per_node N -m mmseg_errseg COMMAND ... --launcher pytorch')
        if not dist.is_initialized():
            if cuda:
                torch.cuda.set_device(int(os.environ['LOCAL_RANK']))
            # mmengine's own init calls torch.cuda.set_device, which fails without GPUs: gloo on CPU
            dist.init_process_group(backend='nccl' if cuda else 'gloo')
    else:  # slurm: mmengine maps SLURM_* to the torch environment and joins with NCCL
        if not cuda:
            raise ValueError('--launcher slurm trains on CUDA GPUs; none is visible here (use --launcher pytorch '
                             'with torchrun to train on CPUs)')
        if 'SLURM_PROCID' not in os.environ:
            raise ValueError('--launcher slurm needs to run under srun (SLURM_PROCID is not set)')
        if not dist.is_initialized():
            from mmengine.dist import init_dist
            init_dist('slurm', backend='nccl')
    return DistInfo(launcher, dist.get_rank(), dist.get_world_size(), cuda)


def leave_group(info: DistInfo) -> None:
    """Wait for every process, then close the process group (the first process goes on alone)."""
    import torch.distributed as dist
    if info.distributed and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
