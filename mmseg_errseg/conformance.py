"""Conformance against golden data produced by the official implementation.

A golden file holds an official decoder state dict, its constructor config, inputs (F3^s, F4^s, the four
stage outputs, text embeddings) and the official outputs (kept classes, logits).
"""
from dataclasses import dataclass
from typing import List

import torch

from .converters.official import (OfficialCheckpointError, convert_decoder_state_dict,
                                  head_config_from_official, infer_head_config)
from .models import CLIPFeatures, ERRSegHead, class_scores, cosine_cost_map, scatter_classes
from .utils import read_checkpoint

__all__ = ['GoldenReport', 'check_golden', 'GOLDEN_KEYS']

GOLDEN_KEYS = ('state_dict', 'config', 'inputs', 'logits', 'selected_class_indices')
_INPUT_KEYS = ('os16_dense', 'clip_vis_dense', 'os32', 'os16', 'os8', 'os4', 'text_feats')


@dataclass
class GoldenReport:
    path: str
    num_classes: int
    num_selected: int
    max_abs_diff: float
    kept_identical: bool
    score_max_abs_diff: float
    unmatched_keys: List[str]
    atol: float

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= self.atol and self.kept_identical and not self.unmatched_keys

    def summary(self) -> str:
        lines = [f'golden file      : {self.path}',
                 f'T / P            : {self.num_classes} / {self.num_selected}',
                 f'max |logit diff| : {self.max_abs_diff:.3e} (tolerance {self.atol:.0e})',
                 f'kept classes     : {"identical" if self.kept_identical else "DIFFERENT"}',
                 f'max |score diff| : {self.score_max_abs_diff:.3e}']
        if self.unmatched_keys:
            lines.append(f'unmatched keys   : {self.unmatched_keys}')
        lines.append('PASS' if self.passed else 'FAIL')
        return '\n'.join(lines)


@torch.no_grad()
def check_golden(path: str, atol: float = 1e-4) -> GoldenReport:
    """Convert the golden state dict, run our head on the golden inputs, compare."""
    data = read_checkpoint(path)
    missing = [k for k in GOLDEN_KEYS if not isinstance(data, dict) or k not in data]
    missing = missing or [f'inputs.{k}' for k in _INPUT_KEYS if k not in data['inputs']]
    if missing:
        raise OfficialCheckpointError(f'{path}: not a golden file, missing keys {missing}')
    cfg = head_config_from_official(data['config'])
    for key, value in infer_head_config(data['state_dict']).items():
        if key in cfg and value != type(value)(cfg[key]):  # lists and tuples compared alike
            raise OfficialCheckpointError(f'{path}: config says {key}={cfg[key]} but the state dict has {value}')
    head = ERRSegHead(**cfg).eval()
    state, unmatched = convert_decoder_state_dict(data['state_dict'])
    head.load_state_dict(state, strict=True)

    inp = data['inputs']
    text = inp['text_feats']  # (B, T, 1, C): one prompt, repeated over the batch
    if text.shape[2] != 1 or not torch.equal(text, text[:1].expand_as(text)):
        raise OfficialCheckpointError(f'{path}: expects one prompt shared by the batch, '
                                      f'text_feats has shape {tuple(text.shape)}')
    text = text[0, :, 0]
    feats = CLIPFeatures((inp['os4'], inp['os8'], inp['os16'], inp['os32']), inp['os16_dense'], inp['clip_vis_dense'])
    num_selected = int(data.get('sample_classes_num', cfg['num_selected']))
    kept_logits, kept = head(feats, text, num_selected)
    logits = scatter_classes(kept_logits, kept, text.shape[0])

    expected_kept = data['selected_class_indices'].reshape(kept.shape[0], -1).sort(dim=1).values
    score_diff = float('nan')
    if 'selection_scores' in data:
        scores = class_scores(cosine_cost_map(inp['os16_dense'], text), head.rrhc.top_k, head.rrhc.score_lambda)
        score_diff = (scores - data['selection_scores'].reshape(scores.shape)).abs().max().item()
    return GoldenReport(path=str(path), num_classes=text.shape[0], num_selected=num_selected,
                        max_abs_diff=(logits - data['logits']).abs().max().item(),
                        kept_identical=torch.equal(kept, expected_kept),
                        score_max_abs_diff=score_diff, unmatched_keys=unmatched, atol=atol)
