"""Compare a state dict with the model a config builds."""
from typing import Dict, List, Mapping, NamedTuple, Tuple

import torch

__all__ = ['KeyReport', 'compare_state_dict']


class KeyReport(NamedTuple):
    missing: List[str]      # the model has them, the state dict does not
    unexpected: List[str]   # the state dict has them, the model does not
    mismatched: List[Tuple[str, tuple, tuple]]  # (key, state dict shape, model shape)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def lines(self, limit: int = 10) -> List[str]:
        out = []
        for title, items in (('missing in the checkpoint', self.missing),
                             ('not in the model', self.unexpected)):
            if items:
                out.append(f'{len(items)} keys {title}: {", ".join(items[:limit])}'
                           + (' ...' if len(items) > limit else ''))
        for key, got, want in self.mismatched[:limit]:
            out.append(f'shape of {key}: checkpoint {got}, model {want}')
        return out


def compare_state_dict(state: Mapping[str, torch.Tensor], model_state: Dict[str, torch.Tensor]) -> KeyReport:
    """Keys missing from ``state``, keys the model lacks, and shapes that differ."""
    missing = [k for k in model_state if k not in state]
    unexpected = [k for k in state if k not in model_state]
    mismatched = [(k, tuple(getattr(v, 'shape', ())), tuple(model_state[k].shape)) for k, v in state.items()
                  if k in model_state and tuple(getattr(v, 'shape', ())) != tuple(model_state[k].shape)]
    return KeyReport(missing, unexpected, mismatched)
