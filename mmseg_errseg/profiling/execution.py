"""Execution modes for latency: float32 eager (the reference; FLOPs are counted on it) and speed options.

Each mode runs the same model on the same input; its outputs are compared with
the reference's, so a speed-up is never reported without its accuracy cost.
``compile`` compiles during the warm-up (at least 3 runs: the first calls after
compiling are still slow).
"""
import contextlib
from typing import Any, Callable, Dict, Iterator

import torch
import torch.nn as nn

__all__ = ['EXECUTION_MODES', 'MIN_WARMUP', 'check_modes', 'execution_mode', 'compare_outputs']

EXECUTION_MODES: Dict[str, str] = {
    'eager': 'float32, eager',
    'channels-last': 'float32, channels-last weights and input',
    'bf16': 'bfloat16 autocast',
    'compile': 'float32, torch.compile (inductor)',
}
#: Fewest warm-up runs a mode needs.
MIN_WARMUP = {'compile': 3}


def check_modes(names) -> None:
    """One clear error for a name that is not in :data:`EXECUTION_MODES`."""
    for name in names:
        if name not in EXECUTION_MODES:
            raise ValueError(f'unknown execution mode {name!r}; choose from {tuple(EXECUTION_MODES)}')


def _logits_and_classes(output: Any):
    if isinstance(output, (tuple, list)):
        return output[0], (output[1] if len(output) > 1 else None)
    return output, None


def compare_outputs(reference: Any, other: Any) -> Dict[str, Any]:
    """Accuracy of a mode's output (logits, or (logits, kept classes)) against the reference's.

    Returns:
        ``kept_identical`` (None without kept classes), ``max_abs_diff`` of the logits
        in float32 (None when the kept classes differ) and ``max_abs_ref``.
    """
    ref_logits, ref_kept = _logits_and_classes(reference)
    logits, kept = _logits_and_classes(other)
    same = None if ref_kept is None else bool(torch.equal(ref_kept.cpu(), kept.cpu()))
    diff = None if same is False else (ref_logits.float() - logits.float()).abs().max().item()
    return dict(kept_identical=same, max_abs_diff=diff, max_abs_ref=ref_logits.float().abs().max().item())


@contextlib.contextmanager
def execution_mode(name: str, forward: nn.Module, image: torch.Tensor,
                   device) -> Iterator[Callable[[], Any]]:
    """One forward ``forward(image)`` (inference mode) in the mode ``name``; the model is restored on exit."""
    check_modes([name])
    device = torch.device(device)
    if name == 'channels-last':
        forward.to(memory_format=torch.channels_last)
        image = image.contiguous(memory_format=torch.channels_last)
    call = torch.compile(forward) if name == 'compile' else forward

    def run():
        autocast = torch.autocast(device.type, dtype=torch.bfloat16) if name == 'bf16' \
            else contextlib.nullcontext()
        with torch.inference_mode(), autocast:
            return call(image)
    try:
        yield run
    finally:
        if name == 'channels-last':
            forward.to(memory_format=torch.contiguous_format)
