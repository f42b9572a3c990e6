"""Upsampling decoder (paper Sec. 3.3): per kept class, from os16 to os4."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .inplace import add_into

__all__ = ['UpsamplingDecoder', 'UpBlock']

#: Classes decoded together at inference.
INFERENCE_CLASSES = 8


class UpBlock(nn.Module):
    """Upsample (or project), concatenate the image guidance, refine with two 3x3 convs.

    Args:
        in_dim: Input channels.
        out_dim: Output channels (GroupNorm with out_dim / 8 groups).
        guidance_dim: Channels of the projected image guidance.
        upsample: 2x transposed convolution if True, 1x1 convolution otherwise.
    """

    def __init__(self, in_dim: int, out_dim: int, guidance_dim: int, upsample: bool = True):
        super().__init__()
        self.up = (nn.ConvTranspose2d(in_dim, out_dim, 2, stride=2) if upsample
                   else nn.Conv2d(in_dim, out_dim, 1))
        self.fuse = nn.Sequential(
            nn.Conv2d(out_dim + guidance_dim, out_dim, 3, padding=1, bias=False),
            nn.GroupNorm(out_dim // 8, out_dim),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_dim, out_dim, 3, padding=1, bias=False),
            nn.GroupNorm(out_dim // 8, out_dim),
            nn.ReLU(inplace=True),
        )
        self.concat_guidance = False  # True: the official concatenation (see concatenated_guidance)

    def forward(self, x: torch.Tensor, guidance: torch.Tensor) -> torch.Tensor:
        """Args: x: (B*P, C, H, W); guidance: (B, Cg, H', W'), shared by the P classes."""
        x = self.up(x)
        b = guidance.shape[0]
        if self.concat_guidance:
            guidance = guidance.unsqueeze(1).expand(b, x.shape[0] // b, *guidance.shape[1:])
            return self.fuse(torch.cat([x, guidance.flatten(0, 1)], dim=1))
        # The first conv of [x || guidance] is conv_x(x) + conv_g(guidance): the guidance term
        # is computed once per image and broadcast to the P classes instead of copied P times.
        conv = self.fuse[0]
        c = x.shape[1]
        x = F.conv2d(x, conv.weight[:, :c].contiguous(), None, conv.stride, conv.padding)
        shared = F.conv2d(guidance, conv.weight[:, c:].contiguous(), None, conv.stride, conv.padding)
        shared = shared.contiguous(memory_format=torch.channels_last)  # keeps the sum (and GroupNorm) channels last
        x = add_into(x.unflatten(0, (b, -1)), shared.unsqueeze(1)).flatten(0, 1)
        return self.fuse[1:](x)


class UpsamplingDecoder(nn.Module):
    """Three up blocks guided by the os16, os8, os4 CLIP features, and a 1x1 logit head.

    Args:
        in_dim: Channels of the aggregated cost embedding.
        dims: Output channels of the three blocks (official B/L: 64, 32, 16).
        guidance_dims: Channels of the (os16, os8, os4) stage outputs.
        guidance_proj_dims: Projected guidance channels (32, 16, 8).
    """

    def __init__(self, in_dim: int = 128, dims: Sequence[int] = (64, 32, 16),
                 guidance_dims: Sequence[int] = (512, 256, 128),
                 guidance_proj_dims: Sequence[int] = (32, 16, 8)):
        super().__init__()
        self.guidance_proj = nn.ModuleList(
            nn.Sequential(nn.Conv2d(d, p, 3, padding=1), nn.ReLU6(inplace=True))
            for d, p in zip(guidance_dims, guidance_proj_dims))
        ins = [in_dim, *dims[:-1]]
        self.blocks = nn.ModuleList(
            UpBlock(i, o, g, upsample=k > 0)
            for k, (i, o, g) in enumerate(zip(ins, dims, guidance_proj_dims)))
        self.head = nn.Conv2d(dims[-1], 1, 1)

    def forward(self, x: torch.Tensor, guidances: Sequence[torch.Tensor]) -> torch.Tensor:
        """Args:
            x: Aggregated cost embedding (B, P, H, W, C), channels last.
            guidances: Clamped (os16, os8, os4) stage outputs; os16 detached by the caller.

        Returns:
            Logits of the kept classes (B, P, 4H, 4W).
        """
        guidances = [proj(g) for proj, g in zip(self.guidance_proj, guidances)]
        if torch.is_grad_enabled():
            return self._decode(x, guidances)
        # classes are decoded independently: at inference a few at a time, so the full-resolution
        # maps of a block of classes stay small (no fresh pages per map) instead of P at once
        return torch.cat([self._decode(x[:, i:i + INFERENCE_CLASSES], guidances)
                          for i in range(0, x.shape[1], INFERENCE_CLASSES)], dim=1)

    def _decode(self, x: torch.Tensor, guidances: Sequence[torch.Tensor]) -> torch.Tensor:
        b, p, h, w, c = x.shape
        x = x.reshape(b * p, h, w, c).permute(0, 3, 1, 2)  # channels-last view
        for block, guidance in zip(self.blocks, guidances):
            x = block(x, guidance)
        x = self.head(x)
        return x.view(b, p, *x.shape[-2:])
