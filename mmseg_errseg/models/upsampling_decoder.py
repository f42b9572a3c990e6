"""Upsampling decoder (paper Sec. 3.3): per kept class, from os16 to os4."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['UpsamplingDecoder', 'UpBlock']


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

    def _up(self, x: torch.Tensor) -> torch.Tensor:
        """``self.up`` on channels-last (N, H, W, C) as a GEMM: same products, no layout changes."""
        w = self.up.weight
        if isinstance(self.up, nn.ConvTranspose2d):  # k = s = 2: each pixel -> a 2x2 output patch
            n, h, wd, _ = x.shape
            k, c = self.up.kernel_size[0], w.shape[1]
            y = torch.addmm(self.up.bias.repeat(k * k), x.reshape(-1, w.shape[0]),
                            w.permute(0, 2, 3, 1).reshape(w.shape[0], -1))
            return y.view(n, h, wd, k, k, c).permute(0, 1, 3, 2, 4, 5).reshape(n, h * k, wd * k, c)
        return F.linear(x, w.flatten(1), self.up.bias)

    def forward(self, x: torch.Tensor, guidance: torch.Tensor) -> torch.Tensor:
        """Args:
            x: (B*P, H, W, C) channels last.
            guidance: (B, Cg, H', W'), shared by the P classes of an image.

        Returns:
            (B*P, H', W', C') channels last.
        """
        x = self._up(x)
        b = guidance.shape[0]
        guidance = guidance.permute(0, 2, 3, 1).unsqueeze(1).expand(b, x.shape[0] // b, *x.shape[1:3], -1)
        x = torch.cat([x.view(b, -1, *x.shape[1:]), guidance], dim=-1).flatten(0, 1)
        # channels-last convolutions: ~2x faster than NCHW on CPU for these small channel counts
        return self.fuse(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


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
        b, p, h, w, c = x.shape
        x = x.view(b * p, h, w, c)
        for block, proj, guidance in zip(self.blocks, self.guidance_proj, guidances):
            x = block(x, proj(guidance))
        x = F.linear(x, self.head.weight.flatten(1), self.head.bias)  # the 1x1 logit conv
        return x.view(b, p, *x.shape[1:3])
