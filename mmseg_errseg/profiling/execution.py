"""Execution modes for latency: float32 eager (reference) and speed options.

Each option runs the same model on the same input; its outputs are compared
with the reference mode's (max |logit difference|, identical kept classes), so
a speed-up is never reported without its accuracy cost.

* ``eager``: float32, eager PyTorch (the reference; FLOPs are always counted on it);
* ``channels-last``: 4-D weights and the image in channels-last memory format;
* ``bf16``: bfloat16 autocast;
* ``compile``: ``torch.compile`` (default inductor settings; compiled during the
  warm-up, which is at least 3 runs: the first calls after compiling are still slow).
"""
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict

import torch
import torch.nn as nn

__all__ = ['EXECUTION_MODES', 'ExecutionMode', 'prepare_execution', 'compare_outputs']

EXECUTION_MODES: Dict[str, str] = {
    'eager': 'float32, eager',
    'channels-last': 'float32, channels-last weights and input',
    'bf16': 'bfloat16 autocast',
    'compile': 'float32, torch.compile (inductor)',
}


def _logits_and_classes(output: Any):
    """(logits, kept class indices or None) of a target's forward output."""
    if isinstance(output, (tuple, list)):
        return output[0], (output[1] if len(output) > 1 else None)
    return output, None


def compare_outputs(reference: Any, other: Any) -> Dict[str, Any]:
    """Accuracy of an execution mode against the reference output.

    Args:
        reference: Output of the reference forward (logits, or (logits, kept)).
        other: Output of the mode under test, same input.

    Returns:
        ``kept_identical`` (None without kept classes), ``max_abs_diff`` of the
        logits in float32 (None when the kept classes differ: the maps are of
        different classes) and ``max_abs_ref`` (the reference's largest |logit|).
    """
    ref_logits, ref_kept = _logits_and_classes(reference)
    logits, kept = _logits_and_classes(other)
    same = None if ref_kept is None else bool(torch.equal(ref_kept.cpu(), kept.cpu()))
    diff = None
    if same is not False:
        diff = (ref_logits.float() - logits.float()).abs().max().item()
    return dict(kept_identical=same, max_abs_diff=diff, max_abs_ref=ref_logits.float().abs().max().item())


@dataclass
class ExecutionMode:
    """A ready-to-time forward.

    Attributes:
        name: Key of :data:`EXECUTION_MODES`.
        run: One forward (inference mode); keeps its output when ``keep_output``.
        undo: Restores the model after measuring (memory format).
        min_warmup: Fewest warm-up runs this mode needs.
        accuracy: Comparison with the reference, filled by :meth:`check`.
    """
    name: str
    call: Callable[[], Any]
    keep_output: bool = False
    undo: Callable[[], None] = lambda: None
    min_warmup: int = 0
    output: Any = None
    accuracy: Dict[str, Any] = field(default_factory=dict)

    def run(self) -> None:
        with torch.inference_mode():
            out = self.call()
        if self.keep_output:
            self.output = out

    def check(self, reference: 'ExecutionMode') -> None:
        """Compare this mode's last output with the reference's."""
        if reference.output is not None and self.output is not None:
            self.accuracy = compare_outputs(reference.output, self.output)

    def describe(self) -> Dict[str, Any]:
        out = dict(execution=EXECUTION_MODES[self.name])
        if self.accuracy:
            out['accuracy_vs_reference'] = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                                            for k, v in self.accuracy.items()}
        return out


def prepare_execution(name: str, forward: nn.Module, image: torch.Tensor, device,
                      keep_output: bool = False) -> ExecutionMode:
    """Build the forward of an execution mode.

    Args:
        name: Key of :data:`EXECUTION_MODES`.
        forward: The target's forward module (float32, eager).
        image: The input batch.
        device: The device it runs on.
        keep_output: Keep the last output (needed to compare modes).

    Returns:
        :class:`ExecutionMode`; call its ``undo`` when done.
    """
    device = torch.device(device)
    if name == 'eager':
        return ExecutionMode(name, lambda: forward(image), keep_output)
    if name == 'channels-last':
        forward.to(memory_format=torch.channels_last)
        cl_image = image.contiguous(memory_format=torch.channels_last)
        return ExecutionMode(name, lambda: forward(cl_image), keep_output,
                             undo=lambda: forward.to(memory_format=torch.contiguous_format))
    if name == 'bf16':
        def call():
            with torch.autocast(device.type, dtype=torch.bfloat16):
                return forward(image)
        return ExecutionMode(name, call, keep_output)
    if name == 'compile':
        compiled = torch.compile(forward)
        return ExecutionMode(name, lambda: compiled(image), keep_output, min_warmup=3)
    raise ValueError(f'unknown execution mode {name!r}; choose from {tuple(EXECUTION_MODES)}')
