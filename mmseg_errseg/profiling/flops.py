"""FLOP counting (1 fused multiply-add = 1 flop; element-wise work uncounted, as the paper and fvcore):
fvcore with handles for ``scaled_dot_product_attention`` and ``baddbmm`` (which fvcore and ptflops skip),
and ptflops' aten backend as an independent check of the matrix-product share. The reported count runs the
model in its official form (:func:`paper_convention`: ``[x || g]`` through one linear map), the executed
count beside it where they differ."""
import contextlib
import io
import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ..models.guided_attention import concatenated_guidance as paper_convention  # the official form's FLOPs
from .components import ComponentMap

__all__ = ['attention_flops', 'FlopCount', 'count_flops', 'count_paper_and_executed', 'paper_convention',
           'ptflops_macs', 'MATMUL_OPERATORS', 'FVCORE_EXTRA_HANDLES']

#: fvcore operator names of the matrix-product work; the rest are normalisation, interpolation, pooling.
MATMUL_OPERATORS = ('linear', 'conv', 'einsum', 'matmul', 'bmm', 'addmm', 'mm', 'baddbmm',
                    'scaled_dot_product_attention')


def attention_flops(q_shape: Sequence[int], k_shape: Sequence[int], v_shape: Sequence[int]) -> int:
    """Multiply-adds of softmax(Q K^T) V, ``prod(N...) * L * S * (E + Ev)``, for Q (N..., L, E), K (N..., S, E),
    V (N..., S, Ev), batch dims broadcast."""
    if len(q_shape) < 2 or len(k_shape) < 2 or len(v_shape) < 2:
        raise ValueError(f'attention needs (..., L, E) operands, got {q_shape}, {k_shape}, {v_shape}')
    batch = torch.broadcast_shapes(tuple(q_shape[:-2]), tuple(k_shape[:-2]), tuple(v_shape[:-2]))
    return math.prod(batch) * q_shape[-2] * k_shape[-2] * (q_shape[-1] + v_shape[-1])


def _baddbmm_flops(batch1_shape: Sequence[int], batch2_shape: Sequence[int]) -> int:
    n, l, e = batch1_shape  # the product only: the added bias (an attention mask) is element-wise
    return n * l * e * batch2_shape[-1]


def _shapes(inputs) -> list:
    from fvcore.nn.jit_handles import get_shape
    return [get_shape(x) for x in inputs[:3]]


#: fvcore (JIT trace) op -> handle, for the ops fvcore has none for (SDPA is one op whatever kernel runs it).
FVCORE_EXTRA_HANDLES = {
    'aten::scaled_dot_product_attention': lambda inputs, outputs: attention_flops(*_shapes(inputs)),
    'aten::baddbmm': lambda inputs, outputs: _baddbmm_flops(*_shapes(inputs)[1:3]),
}
# The fused kernels SDPA dispatches to (the math fallback decomposes into bmm, which ptflops counts).
_SDPA_KERNELS = ('_scaled_dot_product_flash_attention_for_cpu', '_scaled_dot_product_flash_attention',
                 '_scaled_dot_product_efficient_attention', '_scaled_dot_product_cudnn_attention')


@dataclass
class FlopCount:
    """FLOPs of one forward: ``total``, per component (exclusive, summing to it) and per fvcore operator;
    ``added``: what :data:`FVCORE_EXTRA_HANDLES` count (attention), which fvcore alone misses; ``uncounted``:
    operators with no handle -> occurrences (element-wise and data movement)."""
    total: int
    by_component: Dict[str, int] = field(default_factory=dict)
    by_operator: Dict[str, int] = field(default_factory=dict)
    added: int = 0
    uncounted: Dict[str, int] = field(default_factory=dict)

    @property
    def matmul(self) -> int:
        """The matrix-product share of ``total``."""
        return sum(v for k, v in self.by_operator.items() if k in MATMUL_OPERATORS)

    def to_dict(self) -> dict:
        return dict(asdict(self), matmul=self.matmul)


def count_flops(module: nn.Module, inputs: Tuple[torch.Tensor, ...],
                components: Optional[ComponentMap] = None, prefix: str = '') -> FlopCount:
    """The FLOPs of ``module(*inputs)`` (one traced forward; only the inputs' shapes matter) by fvcore, attention
    included; split by ``components``, whose patterns name modules below the submodule ``prefix``."""
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter('ignore')  # torch.jit deprecation notices (at fvcore's import) and tracer notices
        from fvcore.nn import FlopCountAnalysis
        analysis = FlopCountAnalysis(module, inputs).set_op_handle(**FVCORE_EXTRA_HANDLES)
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings('none')
        by_operator = {k: int(v) for k, v in analysis.by_operator().items()}
        by_module = {k: int(v) for k, v in analysis.by_module().items()}
        count = FlopCount(total=int(analysis.total()), by_operator=by_operator,
                          added=sum(v for k, v in by_operator.items() if f'aten::{k}' in FVCORE_EXTRA_HANDLES),
                          uncounted=dict(analysis.unsupported_ops().most_common()))
    if components:
        if prefix:  # re-key relative to the submodule ``prefix`` (the root keeps '')
            by_module = {'': by_module[''], **{k[len(prefix) + 1:]: v for k, v in by_module.items()
                                               if k.startswith(prefix + '.')}}
        count.by_component = components.partition(by_module)
    return count


def count_paper_and_executed(module: nn.Module, inputs: Tuple[torch.Tensor, ...], model: nn.Module,
                             components: Optional[ComponentMap] = None,
                             prefix: str = '') -> Tuple[FlopCount, Optional[FlopCount]]:
    """``(paper, executed)`` FLOPs (see :func:`count_flops`), ``executed`` None when they agree; ``model`` is
    what ``module`` runs, switched by :func:`paper_convention`."""
    with paper_convention(model):
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
    """MACs of ``module(*inputs)`` by ptflops' aten backend, fused attention kernels and baddbmm hooked."""
    from ptflops import get_model_complexity_info

    aten = torch.ops.aten
    hooks = {getattr(aten, name): lambda args, out: attention_flops(*(a.shape for a in args[:3]))
             for name in _SDPA_KERNELS if hasattr(aten, name)}
    hooks[aten.baddbmm] = lambda args, out: _baddbmm_flops(args[1].shape, args[2].shape)
    log = io.StringIO()
    with contextlib.redirect_stdout(log), torch.no_grad():
        macs, _ = get_model_complexity_info(
            _BoundCall(module, inputs), (1,), input_constructor=lambda _: {}, print_per_layer_stat=False,
            as_strings=False, backend='aten', ost=log, custom_modules_hooks=hooks)
    if macs is None:  # ptflops reports failures on stdout and returns None
        raise RuntimeError(f'ptflops could not count the model: {log.getvalue().strip()[-500:]}')
    return int(macs)
