"""A deterministic stand-in text encoder: hand-set vectors, else a hash-seeded random one."""
import zlib
from typing import Dict, List, Optional, Sequence

import torch

from mmseg_errseg.analysis.text_encoders import TextEncoder

TEMPLATE = 'A photo of a {} in the scene'


class FakeTextEncoder(TextEncoder):
    """Maps each prompt to a fixed unit vector.

    Args:
        vectors: Class word -> vector (embedded for the prompt of that word).
        dim: Dimension of the hash-seeded vectors of other prompts.
    """

    def __init__(self, vectors: Optional[Dict[str, Sequence[float]]] = None, dim: int = 3):
        self.id = 'fake-encoder'
        self.vectors = {TEMPLATE.format(k): torch.tensor(v, dtype=torch.float32)
                        for k, v in (vectors or {}).items()}
        self.dim = dim
        self.calls: List[List[str]] = []

    def _vector(self, prompt: str) -> torch.Tensor:
        if prompt in self.vectors:
            return self.vectors[prompt]
        g = torch.Generator().manual_seed(zlib.crc32(prompt.encode()))
        return torch.randn(self.dim, generator=g)

    def encode(self, prompts: Sequence[str]) -> torch.Tensor:
        self.calls.append(list(prompts))
        emb = torch.stack([self._vector(p) for p in prompts])
        return emb / emb.norm(dim=-1, keepdim=True)
