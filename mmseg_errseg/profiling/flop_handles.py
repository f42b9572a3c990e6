"""FLOP counts of the matrix-product ops that fvcore (and ptflops) skip silently.

Convention of the paper and of fvcore: one fused multiply-add is one flop;
softmax, scaling and other element-wise work are not counted. For attention
with queries (N..., L, E), keys (N..., S, E) and values (N..., S, Ev) that is
QK^T plus AV: ``prod(N...) * L * S * (E + Ev)``, i.e. ``2 * N * heads * L * S * d``
for the usual E = Ev = d. ``baddbmm`` (QK^T plus an additive attention bias,
as ``nn.MultiheadAttention`` with a mask computes it) counts its product only.
"""
import math
from typing import Any, Callable, Dict, List, Sequence

import torch

__all__ = ['attention_flops', 'FVCORE_EXTRA_HANDLES', 'ptflops_extra_hooks']


def attention_flops(q_shape: Sequence[int], k_shape: Sequence[int], v_shape: Sequence[int]) -> int:
    """Multiply-adds of softmax(Q K^T) V for the given (batched) shapes.

    Args:
        q_shape: (..., L, E).
        k_shape: (..., S, E).
        v_shape: (..., S, Ev).

    Returns:
        ``prod(...) * L * S * (E + Ev)`` (broadcast batch dims of Q, K and V).
    """
    if len(q_shape) < 2 or len(k_shape) < 2 or len(v_shape) < 2:
        raise ValueError(f'attention needs (..., L, E) operands, got {q_shape}, {k_shape}, {v_shape}')
    batch = torch.broadcast_shapes(tuple(q_shape[:-2]), tuple(k_shape[:-2]), tuple(v_shape[:-2]))
    length, source = q_shape[-2], k_shape[-2]
    return math.prod(batch) * length * source * (q_shape[-1] + v_shape[-1])


def _fvcore_sdpa(inputs: List[Any], outputs: List[Any]) -> int:
    from fvcore.nn.jit_handles import get_shape
    return attention_flops(get_shape(inputs[0]), get_shape(inputs[1]), get_shape(inputs[2]))


def _fvcore_baddbmm(inputs: List[Any], outputs: List[Any]) -> int:
    from fvcore.nn.jit_handles import get_shape
    n, l, e = get_shape(inputs[1])
    return n * l * e * get_shape(inputs[2])[-1]


#: fvcore (JIT trace) op name -> handle, for the ops fvcore has none for.
#: ``F.scaled_dot_product_attention`` is recorded as one op whatever kernel runs it.
FVCORE_EXTRA_HANDLES: Dict[str, Callable] = {
    'aten::scaled_dot_product_attention': _fvcore_sdpa,
    'aten::baddbmm': _fvcore_baddbmm,
}

# The kernels SDPA dispatches to (CPU flash, CUDA flash / memory-efficient / cuDNN);
# the math fallback decomposes into bmm, which ptflops already counts.
_SDPA_KERNELS = ('_scaled_dot_product_flash_attention_for_cpu', '_scaled_dot_product_flash_attention',
                 '_scaled_dot_product_efficient_attention', '_scaled_dot_product_cudnn_attention')


def _ptflops_sdpa(args: Sequence[Any], outputs: Sequence[Any]) -> int:
    return attention_flops(args[0].shape, args[1].shape, args[2].shape)


def _ptflops_baddbmm(args: Sequence[Any], outputs: Sequence[Any]) -> int:
    n, l, e = args[1].shape
    return n * l * e * args[2].shape[-1]


def ptflops_extra_hooks() -> Dict[Any, Callable]:
    """ptflops' aten-backend hooks for the fused SDPA kernels of this torch build, and baddbmm."""
    aten = torch.ops.aten
    hooks = {getattr(aten, name): _ptflops_sdpa for name in _SDPA_KERNELS if hasattr(aten, name)}
    hooks[aten.baddbmm] = _ptflops_baddbmm
    return hooks
