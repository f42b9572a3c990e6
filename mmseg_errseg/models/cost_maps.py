"""Pixel-text cost maps (paper Eq. 3)."""
import torch
import torch.nn.functional as F

__all__ = ['cosine_cost_map']


def cosine_cost_map(features: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
    """Cosine similarity between every pixel embedding and every class embedding.

    Args:
        features: Dense CLIP embeddings (B, C, H, W).
        text: Class embeddings (T, C), shared by the batch, or (B, T, C).

    Returns:
        Cost map S (B, T, H, W).
    """
    features = F.normalize(features, dim=1)
    text = F.normalize(text, dim=-1)
    if text.dim() == 2:
        return torch.einsum('bchw,tc->bthw', features, text)
    return torch.einsum('bchw,btc->bthw', features, text)
