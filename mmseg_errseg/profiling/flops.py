"""FLOP counting: fvcore with attention counted, and a ptflops cross-check.

fvcore traces the forward (TorchScript) and counts per op with 1 FMA = 1 flop,
the paper's convention; :data:`~.flop_handles.FVCORE_EXTRA_HANDLES` adds the
attention it skips. ptflops' aten backend counts at the dispatcher instead (a
different mechanism), which makes it an independent check of the matrix-product
share. The two conventions differ by design: ptflops adds one MAC per bias
element and skips normalisation and interpolation, fvcore the reverse.

The reported GFLOPs follow the paper's convention: the architecture as the
official code executes it. Where our model computes the same function with
less work (a linear map of ``[x || g]`` as ``W_x x + W_g g``, the guidance
term once per image instead of once per class), the count runs the model in
its official form (:func:`paper_convention`) and the executed count is
reported beside it (:func:`count_paper_and_executed`).
"""
import contextlib
import io
import warnings
from dataclasses import asdict, dataclass, field
from typing import ContextManager, Dict, Optional, Tuple

import torch
import torch.nn as nn

from .components import ComponentMap
from .flop_handles import FVCORE_EXTRA_HANDLES, ptflops_extra_hooks

__all__ = ['FlopCount', 'count_flops', 'count_paper_and_executed', 'paper_convention', 'ptflops_macs',
           'MATMUL_OPERATORS']

#: fvcore operator names of the multiply-add (matrix product) work; the rest are
#: normalisation, interpolation and pooling estimates.
MATMUL_OPERATORS = ('linear', 'conv', 'einsum', 'matmul', 'bmm', 'addmm', 'mm', 'baddbmm',
                    'scaled_dot_product_attention')


@dataclass
class FlopCount:
    """FLOPs of one forward (1 FMA = 1 flop).

    Attributes:
        total: All counted flops.
        by_component: Component -> flops (exclusive; sums to ``total``).
        by_operator: fvcore operator -> flops.
        added: Flops of the ops fvcore has no handle for and this package
            counts (:data:`~.flop_handles.FVCORE_EXTRA_HANDLES`: attention),
            included in ``total``: what fvcore alone would have missed.
        uncounted: Operators fvcore has no handle for -> occurrences. By the
            convention these are element-wise and data-movement ops.
    """
    total: int
    by_component: Dict[str, int] = field(default_factory=dict)
    by_operator: Dict[str, int] = field(default_factory=dict)
    added: int = 0
    uncounted: Dict[str, int] = field(default_factory=dict)

    @property
    def matmul(self) -> int:
        """The multiply-add (matrix product) share of ``total``."""
        return sum(v for k, v in self.by_operator.items() if k in MATMUL_OPERATORS)

    def to_dict(self) -> dict:
        return dict(asdict(self), matmul=self.matmul)


def _strip_prefix(totals: Dict[str, int], prefix: str) -> Dict[str, int]:
    """Re-key per-module totals relative to the submodule ``prefix`` (the root keeps '')."""
    if not prefix:
        return dict(totals)
    out = {'': totals['']}
    for name, value in totals.items():
        if name.startswith(prefix + '.'):
            out[name[len(prefix) + 1:]] = value
    return out


def count_flops(module: nn.Module, inputs: Tuple[torch.Tensor, ...],
                components: Optional[ComponentMap] = None, prefix: str = '') -> FlopCount:
    """Count the FLOPs of ``module(*inputs)`` with fvcore, attention included.

    Args:
        module: Called as ``module(*inputs)``; it is traced once (one forward runs).
        inputs: Example inputs; only their shapes matter.
        components: How to split the total by module name; names are relative to
            the submodule ``prefix``. ``None``: no split.
        prefix: Name of the submodule the component patterns refer to.

    Returns:
        A :class:`FlopCount`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # torch.jit deprecation notices at fvcore's import
        from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(module, inputs)
    for name, handle in FVCORE_EXTRA_HANDLES.items():
        analysis.set_op_handle(name, handle)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    analysis.tracer_warnings('none')
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore')  # torch.jit deprecation and tracer notices
        total = int(analysis.total())
        by_operator = {k: int(v) for k, v in analysis.by_operator().items()}
        by_module = {k: int(v) for k, v in analysis.by_module().items()}
        uncounted = dict(analysis.unsupported_ops().most_common())
    added = sum(v for k, v in by_operator.items() if f'aten::{k}' in FVCORE_EXTRA_HANDLES)
    split = components.partition(_strip_prefix(by_module, prefix)) if components else {}
    return FlopCount(total=total, by_component=split, by_operator=by_operator,
                     added=added, uncounted=uncounted)


def paper_convention(model: nn.Module) -> Optional[ContextManager]:
    """The context that runs ``model`` as the official code does, or None if it always does.

    ERR-Seg's guided layers compute their linear maps of a concatenation in a
    split form by default; ``mmseg_errseg.models.concatenated_guidance``
    switches them to the official concatenation (same outputs to float
    rounding, the official FLOPs). Models without such layers (SAN) need none.
    """
    try:
        from ..models.guided_attention import concatenated_guidance
    except ImportError:  # a model revision without the split form executes the official one
        return None
    return concatenated_guidance(model)


def count_paper_and_executed(module: nn.Module, inputs: Tuple[torch.Tensor, ...], model: nn.Module,
                             components: Optional[ComponentMap] = None,
                             prefix: str = '') -> Tuple[FlopCount, Optional[FlopCount]]:
    """FLOPs in the paper's convention, and the executed FLOPs when they differ.

    Args:
        module: Called as ``module(*inputs)`` (see :func:`count_flops`).
        inputs: Example inputs.
        model: The model ``module`` runs (switched by :func:`paper_convention`).
        components: How to split the totals by module name.
        prefix: Name of the submodule the component patterns refer to.

    Returns:
        ``(paper, executed)``: ``executed`` is None when the model executes the
        official form or counts the same.
    """
    convention = paper_convention(model)
    if convention is None:
        return count_flops(module, inputs, components, prefix), None
    with convention:
        paper = count_flops(module, inputs, components, prefix)
    executed = count_flops(module, inputs, components, prefix)
    return paper, (None if executed.total == paper.total else executed)


class _BoundCall(nn.Module):
    """``module(*inputs)`` as a module without children: ptflops leaves no hooks on ``module``."""

    def __init__(self, module: nn.Module, inputs: Tuple[torch.Tensor, ...]):
        super().__init__()
        object.__setattr__(self, 'call', lambda: module(*inputs))

    def forward(self):
        return self.call()


def ptflops_macs(module: nn.Module, inputs: Tuple[torch.Tensor, ...]) -> int:
    """MACs of ``module(*inputs)`` by ptflops' aten backend, fused attention kernels included.

    Args:
        module: Called as ``module(*inputs)`` once.
        inputs: Example inputs.

    Returns:
        The MAC count (matrix products, convolutions and their bias additions).
    """
    from ptflops import get_model_complexity_info

    log = io.StringIO()
    with contextlib.redirect_stdout(log), torch.no_grad():
        macs, _ = get_model_complexity_info(
            _BoundCall(module, inputs), (1,), input_constructor=lambda _: {},
            print_per_layer_stat=False, as_strings=False, backend='aten', ost=log,
            custom_modules_hooks=ptflops_extra_hooks())
    if macs is None:  # ptflops reports failures on stdout and returns None
        raise RuntimeError(f'ptflops could not count the model: {log.getvalue().strip()[-500:]}')
    return int(macs)
